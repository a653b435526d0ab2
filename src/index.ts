/**
 * x64emu: an x86-64 CPU emulator with a Linux system-call layer.
 *
 * The main entry point is browser-safe (no node: imports). Node-only pieces
 * (NodeHost, the gdb transports) are in "x64emu/node".
 *
 * @packageDocumentation
 */
export { Emulator, GuestFault, EmulatorError, PROT, type RunResult, type RunOptions, type ElfOptions, type CodeOptions, type InstructionHook, type MemoryAccessHook, type SyscallHook, type FaultHook, type SignalHook } from "./api/emulator.js";
export { ElfError, parseElf, type ElfFile, type ElfSymbol, type ProgramHeader } from "./loader/elf.js";
export type { LoadedImage } from "./loader/load.js";
export { MemoryFault } from "./cpu/memory.js";
export type { Host, HostStat, HostFs, HostDirent } from "./host/host.js";
export { MemoryHost, type MemoryHostOptions } from "./host/memory.js";
export { MemoryFs, type MemoryFsEntry, type MemoryFsOptions } from "./api/memfs.js";
export { Process, symbolize, faultMessage, type ProcessOptions } from "./emulator.js";
export { CPU, CpuException, type FaultInfo, type InsnHook, type FaultHandler, type SyscallHandler } from "./cpu/cpu.js";
export { Memory, type MemoryHook, type AccessKind } from "./cpu/memory.js";
export { Kernel, type ExitStatus, type Args, type KernelOptions } from "./kernel/index.js";
export { decode } from "./decoder/decode.js";
export { formatInsn } from "./decoder/format.js";
export { Insn, type OpDef, type OperandDef } from "./decoder/insn.js";
