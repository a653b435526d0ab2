/** x64emu public API (see README "Use as a library"). */
export { Process, symbolize, faultMessage, type ProcessOptions } from "./emulator.js";
export { CPU, CpuException, type FaultInfo } from "./cpu/cpu.js";
export { Memory, MemoryFault, PROT_READ, PROT_WRITE, PROT_EXEC } from "./cpu/memory.js";
export { ElfError, parseElf } from "./loader/elf.js";
export { Kernel, type ExitStatus } from "./kernel/index.js";
export type { Host } from "./host/host.js";
export { MemoryHost } from "./host/memory.js";
export { decode } from "./decoder/decode.js";
export { formatInsn } from "./decoder/format.js";
export { Insn } from "./decoder/insn.js";
