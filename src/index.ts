/**
 * x64emu: an x86-64 CPU emulator with a Linux system-call layer.
 *
 * The main entry point is browser-safe (no node: imports). Node-only pieces
 * (NodeHost, the gdb transports) are in "x64emu/node".
 *
 * @packageDocumentation
 */
export { Emulator, GuestFault, PROT, type RunResult, type RunOptions, type ElfOptions, type CodeOptions, type InstructionHook, type MemoryAccessHook, type SyscallHook, type FaultHook } from "./api/emulator.js";
export { ElfError, parseElf, type ElfFile, type ElfSymbol } from "./loader/elf.js";
export { MemoryFault } from "./cpu/memory.js";
export type { Host, HostStat } from "./host/host.js";
export { MemoryHost, type MemoryHostOptions } from "./host/memory.js";
export { Process, symbolize, faultMessage, type ProcessOptions } from "./emulator.js";
export { CPU, CpuException, type FaultInfo } from "./cpu/cpu.js";
export { Memory } from "./cpu/memory.js";
export { Kernel, type ExitStatus } from "./kernel/index.js";
export { decode } from "./decoder/decode.js";
export { formatInsn } from "./decoder/format.js";
export { Insn } from "./decoder/insn.js";
