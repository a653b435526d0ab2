/** Loads every instruction family (each registers its handlers). */
import "./alu.js";
import "./datamov.js";
import "./control.js";
import "./shift.js";
import "./muldiv.js";
import "./system.js";
import "./bits.js";
import "./atomic.js";
import "./string.js";
import "./bmi.js";
import "./random.js";
import "./segs.js";
import "./sse-core.js";
import "./sse4.js";
import "./sse42.js";
import "./crypto.js";
import "./x87.js";
import "./avx-move.js";
import "./avx-perm.js";
import "./avx-fma.js";
import "./avx-xsave.js";
import "./avx-sse.js"; // last: VEX forms of SSE instructions without a handler of their own
