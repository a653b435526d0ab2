/** Moved to ./strace/flags.ts (kept so that modules written against the old path still build). */
export { fmtAtFlags, fmtDirfd, fmtMapFlags, fmtMode, fmtOpenFlags, fmtProt, fmtSaFlags, fmtSigHow } from "./strace/flags.js";
