/** strace output: the call formats of every family, and the line builders. */
import "./calls.js";
import "./calls-proc.js";
import "./calls-net.js";
export { callFormat } from "./table.js";
export { straceEnd, straceEnter, straceExit, straceHead, straceKilled, syscallLine, type ArgFormat, type CallFormat, type TracedCall } from "./format.js";
export { execveLine, exitLine, signalLine, threadExitLine, threadsEndLines } from "./lines.js";
export { straceOut, StraceOut, type OpenCall } from "./out.js";
