declare module "elfy" {
  interface ElfyHeader {
    class: string;
    endian: string;
    type: string | undefined;
    machine: string | undefined;
    entry: number;
    phoff: number;
    shoff: number;
    phentsize: number;
    phnum: number;
    shentsize: number;
    shnum: number;
    shstrndx: number;
  }
  interface ElfyProgram {
    type: string | undefined;
    offset: number;
    vaddr: number;
    paddr: number;
    filesz: number;
    memsz: number;
    flags: { r?: boolean; w?: boolean; x?: boolean };
    align: number;
  }
  class Parser {
    parseHeader(buf: Uint8Array): ElfyHeader;
    parsePrograms(buf: Uint8Array, header: ElfyHeader): ElfyProgram[];
  }
  const elfy: { Parser: typeof Parser; parse(buf: Uint8Array): unknown };
  export default elfy;
}
