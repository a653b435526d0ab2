/** The kernel: loads every syscall family. */
export * from "./kernel.js";
import "./process.js";
import "./files.js";
