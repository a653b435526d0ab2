/** Signals and si_code values for synchronous CPU exceptions. */
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGSEGV = 11;

/** si_code values used for synchronous faults. */
export const ILL_ILLOPC = 1;
export const ILL_ILLOPN = 2;
export const ILL_PRVOPC = 5;
export const FPE_INTDIV = 1;
export const FPE_INTOVF = 2;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SI_KERNEL = 0x80;
export const TRAP_BRKPT = 1;
export const TRAP_TRACE = 2;

/** A synchronous CPU exception, raised by an instruction (rip = that instruction). @internal */
export class CpuException extends Error {
  constructor(
    public readonly sig: number,
    public readonly code: number,
    /** si_addr (fault address for SIGSEGV/SIGBUS, instruction address otherwise) */
    public readonly addr: number,
    message: string,
    /** For traps (int3, int1): execution resumes here (the next instruction). */
    public readonly resumeAt = -1,
  ) {
    super(message);
  }
}

