/** The kernel: loads every syscall family. */
export * from "./kernel.js";
import "./process.js";
import "./files.js";
import "./fsext.js";
import "./proc.js";
import "./procinfo.js";
import "./poll.js";
import "./events.js";
import "./mm.js";
import "./misc.js";
import "./time.js";
import "./signals.js";
import "./clone.js";
import "./futex.js";
import "./wait.js";
import "./exec.js";
export { installSignals, deliverPending, queueSignal, signalState } from "./signals.js";
export { Scheduler, Task, Proc, idleUntil, type Wait } from "./task.js";
