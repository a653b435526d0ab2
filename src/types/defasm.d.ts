// The parts of @defasm/core (plain JavaScript, no types of its own) that src/asm uses.
declare module "@defasm/core" {
  export interface DefasmRange {
    start: number;
    length: number;
  }
  export interface DefasmError {
    message: string;
    range?: DefasmRange & { parent?: DefasmRange };
  }
  export interface DefasmValue {
    addend: bigint;
    symbol: DefasmSymbol | null;
    section: DefasmSection | { name: string; index: number };
    pcRelative: boolean;
  }
  export interface DefasmSymbol {
    name: string;
    statement: DefasmStatement | null;
    value: DefasmValue;
    type?: number;
    bind?: number;
    references: DefasmStatement[];
  }
  export interface DefasmRawReloc {
    offset: number;
    sizeReduction: bigint;
    value: DefasmValue;
    size: number;
    signed: boolean;
    pcRelative: boolean;
    functionAddr: boolean;
  }
  export interface DefasmStatement {
    address: number;
    length: number;
    bytes: Uint8Array;
    section: DefasmSection;
    error?: DefasmError;
    removed?: boolean;
    relocations: DefasmRawReloc[];
    range: DefasmRange;
  }
  export interface DefasmNode {
    statement: DefasmStatement | null;
    next: DefasmNode | null;
    dump(): Uint8Array;
    length(): number;
  }
  export interface DefasmSection {
    name: string;
    flags: number;
    type: number;
    head: DefasmNode;
  }
  export class AssemblyState {
    constructor(config?: { syntax?: { intel: boolean; prefix: boolean }; writableText?: boolean; bitness?: 32 | 64 });
    compile(source: string, opts?: { haltOnError?: boolean; doSecondPass?: boolean }): void;
    errors: DefasmError[];
    sections: DefasmSection[];
    symbols: Map<string, DefasmSymbol>;
    source: string;
    iterate(fn: (instr: DefasmStatement, line: number) => void): void;
  }
  /** One reading of a mnemonic: `raw` is the table entry, `size` the suffix's size (undefined: no suffix, or a letter it does not know). */
  export interface MnemonicInterpretation {
    raw: string;
    size: number | null | undefined;
  }
  export function fetchMnemonic(mnemonic: string, intel: boolean): MnemonicInterpretation[];
}

declare module "@defasm/core/relocations.js" {
  import type { DefasmRawReloc, DefasmSymbol } from "@defasm/core";
  export class RelocEntry {
    constructor(raw: DefasmRawReloc);
    offset: number;
    addend: bigint;
    symbol: DefasmSymbol | null;
    size: number;
    signed: boolean;
    pcRelative: boolean;
  }
}
