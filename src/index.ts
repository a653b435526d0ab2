/**
 * x64emu: an x86-64 CPU emulator with a Linux system-call layer.
 *
 * The main entry point is browser-safe (no node: imports). Node-only pieces
 * (NodeHost, the gdb transports) are in "x64emu/node".
 *
 * @packageDocumentation
 */
export { Emulator, GuestFault, EmulatorError, PROT, type RunResult, type RunOptions, type ElfOptions, type CodeOptions, type InstructionHook, type MemoryAccessHook, type SyscallHook, type FaultHook, type SignalHook, type TaskInfo } from "./api/emulator.js";
export { ElfError, parseElf, type ElfFile, type ElfSymbol, type ProgramHeader } from "./loader/elf.js";
export type { LoadedImage, MappedFile } from "./loader/load.js";
export { MemoryFault } from "./cpu/memory.js";
export type { Host, HostStat, HostFs, HostDirent, HostStatfs, HostNet, HostSocket, HostUdp } from "./host/host.js";
export { MemoryHost, type MemoryHostOptions } from "./host/memory.js";
export { MemoryFs, type MemoryFsEntry, type MemoryFsOptions } from "./api/memfs.js";
// The machinery below is exported for tools and tests built on the internals; it
// is not part of the documented, stable API (typedoc hides @internal).
/** @internal */
export { Process, type ProcessOptions } from "./kernel/program.js";
export { symbolize, faultMessage } from "./kernel/symbols.js";
/** @internal */
export { CPU, CpuException, type FaultInfo, type InsnHook, type FaultHandler, type SyscallHandler } from "./cpu/cpu.js";
/** @internal */
export { Memory, type MemoryHook, type AccessKind } from "./cpu/memory.js";
/** @internal */
export { Kernel, type ExitStatus, type Args, type KernelOptions } from "./kernel/index.js";
/** @internal */
export { decode } from "./decoder/decode.js";
/** @internal */
export { formatInsn } from "./decoder/format.js";
/** @internal */
export { Insn, type OpDef, type OperandDef } from "./decoder/insn.js";
