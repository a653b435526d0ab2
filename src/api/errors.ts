/** Typed errors of the embedding API. */
import type { FaultInfo } from "../cpu/cpu.js";
import { faultMessage } from "../kernel/symbols.js";
import type { ElfSymbol } from "../loader/elf.js";
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { RunResult } from "./emulator.js"; // for {@link}

/**
 * Misuse of the API: an unknown register name, an unknown symbol, a `call()`
 * that did not return to its caller, and the like.
 */
export class EmulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmulatorError";
  }
}

/**
 * A guest fault (SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS): found in a
 * {@link RunResult} of kind "signal", given to fault hooks, and thrown by
 * `Emulator.call()` when the called function faults.
 */
export class GuestFault extends Error {
  /** Signal number (11 SIGSEGV, 4 SIGILL, 8 SIGFPE, 5 SIGTRAP, 7 SIGBUS). */
  readonly signal: number;
  /** Faulting address (si_addr): the data address for memory faults, else the instruction's. */
  readonly address: bigint;
  /** Address of the faulting instruction. */
  readonly rip: bigint;
  /** Intel-syntax text of the faulting instruction ("" when it could not be decoded). */
  readonly instruction: string;
  /** What went wrong, e.g. "read of unmapped address 0x0". */
  readonly reason: string;
  /** @internal */
  constructor(info: FaultInfo, symbols: ElfSymbol[] = []) {
    super(faultMessage(info, symbols));
    this.name = "GuestFault";
    this.signal = info.sig;
    this.address = BigInt(Math.max(0, Math.round(info.addr)));
    this.rip = BigInt(info.rip);
    this.instruction = info.text;
    this.reason = info.message;
  }
}
