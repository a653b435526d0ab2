/**
 * The GNU as front the assembler library lacks: `.include` (relative to the
 * including file), numeric local labels (`1:` with `1b`/`1f`), `.rept`,
 * `.align`/`.balign`/`.p2align` (left as markers the driver fills once the
 * addresses are known), `.zero`/`.skip`/`.space`/`.fill`, `.lcomm`/`.comm`,
 * `#` and C comments in both syntaxes, `'c` character constants and `.string`.
 * Output: one statement per line, each line tagged with the file and line it
 * came from, so errors can point at the source.
 */

import { fetchMnemonic } from "@defasm/core";
import { normalizeInstruction } from "./normalize.js";

export interface SourceLoc {
  file: string;
  line: number;
}

/** One assembly error, at a place in the source. */
export interface AsmDiagnostic extends SourceLoc {
  message: string;
}

/** Assembly failed; `diagnostics` lists every error found (file:line: message). */
export class AsmError extends Error {
  constructor(readonly diagnostics: AsmDiagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`).join("\n"));
    this.name = "AsmError";
  }
}

/** An alignment request: the driver replaces line `line` by the padding. */
export interface AlignMark {
  line: number;
  marker: string;
  align: number;
  fill: number | null;
  max: number | null;
}

export interface Preprocessed {
  lines: string[];
  locs: SourceLoc[];
  /** The source statement each line came from (for error messages). */
  texts: string[];
  aligns: AlignMark[];
  /** `.size name, expr`: the size is the value of the constant `marker`. */
  sizes: { name: string; marker: string }[];
}

/** Reads an included file; undefined when it does not exist. */
export type ReadSource = (path: string) => string | undefined;

export interface PreprocessOptions {
  /** Directories searched for `.include` after the including file's own (as -I). */
  includeDirs?: string[];
  readFile?: ReadSource;
}

const MAX_INCLUDE_DEPTH = 32;
const MAX_EXPANDED_LINES = 1_000_000;
/** Largest .zero/.skip/.fill/.comm (the data is materialised as .byte lines). */
const MAX_FILL = 16 << 20;

const escapeRe = (s: string) => s.replace(/[.$]/g, "\\$&");

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}

function joinPath(dir: string, name: string): string {
  if (name.startsWith("/")) return name;
  return dir === "." ? name : `${dir}/${name}`;
}

interface RawLine {
  text: string;
  loc: SourceLoc;
}

/** Evaluates a constant integer expression (numbers, known constants, + - * / % << >> & | ^ ~ and parentheses). */
export function evalConst(expr: string, consts: Map<string, bigint>): bigint | null {
  const toks = expr.match(/0x[0-9a-f]+|0b[01]+|\d+|[A-Za-z_.$][\w.$]*|<<|>>|\S/gi);
  if (!toks) return null;
  let i = 0;
  const peek = () => toks[i];
  const prec: Record<string, number> = { "|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6 };
  const unary = (): bigint | null => {
    const t = toks[i++];
    if (t === undefined) return null;
    if (t === "-") { const v = unary(); return v === null ? null : -v; }
    if (t === "+") return unary();
    if (t === "~") { const v = unary(); return v === null ? null : ~v; }
    if (t === "(") {
      const v = binary(0);
      if (toks[i++] !== ")") return null;
      return v;
    }
    if (/^0x/i.test(t)) return BigInt(t);
    if (/^0b/i.test(t)) return BigInt(t);
    if (/^0[0-7]+$/.test(t)) return BigInt("0o" + t.slice(1));
    if (/^\d+$/.test(t)) return BigInt(t);
    return consts.get(t) ?? null;
  };
  const binary = (min: number): bigint | null => {
    let left = unary();
    while (left !== null) {
      const op = peek();
      const p = op === undefined ? undefined : prec[op];
      if (p === undefined || p <= min) break;
      i++;
      const right = binary(p);
      if (right === null) return null;
      switch (op) {
        case "|": left |= right; break;
        case "^": left ^= right; break;
        case "&": left &= right; break;
        case "<<": left <<= right; break;
        case ">>": left >>= right; break;
        case "+": left += right; break;
        case "-": left -= right; break;
        case "*": left *= right; break;
        case "/": if (right === 0n) return null; left /= right; break;
        case "%": if (right === 0n) return null; left %= right; break;
      }
    }
    return left;
  };
  const v = binary(0);
  return i === toks.length ? v : null;
}

/** Splits at top-level commas (not inside strings or parentheses). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = "", q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      cur += c;
      if (c === "\\") cur += s[++i] ?? "";
      else if (c === '"') q = false;
      continue;
    }
    if (c === '"') q = true;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== "" || out.length > 0) out.push(cur.trim());
  return out;
}

const CHAR_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, a: 7, "0": 0, "\\": 92, "'": 39, '"': 34 };

/**
 * Removes comments, turns character constants into numbers and splits a line
 * into statements at `;`. `inBlock` carries an open C comment across lines.
 */
function scanLine(line: string, state: { inBlock: boolean }): string[] {
  const stmts: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (state.inBlock) {
      if (c === "*" && line[i + 1] === "/") {
        state.inBlock = false;
        i++;
        cur += " ";
      }
      continue;
    }
    if (c === "/" && line[i + 1] === "*") {
      state.inBlock = true;
      i++;
      continue;
    }
    if (c === "#") break;
    if (c === ";") {
      stmts.push(cur);
      cur = "";
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
      cur += line.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === "'") {
      // 'c or 'c' (GNU as accepts both); escapes like '\n
      let v: number, j: number;
      if (line[i + 1] === "\\") {
        const e = line[i + 2] ?? "";
        v = CHAR_ESCAPES[e] ?? e.charCodeAt(0);
        j = i + 3;
      } else {
        v = line.charCodeAt(i + 1);
        j = i + 2;
        if (Number.isNaN(v)) v = 0;
      }
      if (line[j] === "'") j++;
      cur += String(v);
      i = j - 1;
      continue;
    }
    cur += c;
  }
  stmts.push(cur);
  return stmts.map((s) => s.trim()).filter((s) => s !== "");
}

/** Code-section padding as GNU as emits it: 11-byte NOPs, then one NOP for the rest. */
const NOPS: number[][] = [
  [],
  [0x90],
  [0x66, 0x90],
  [0x0f, 0x1f, 0x00],
  [0x0f, 0x1f, 0x40, 0x00],
  [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
  [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];

export function nopFill(n: number): number[] {
  const out: number[] = [];
  while (n > 11) {
    out.push(...NOPS[11]);
    n -= 11;
  }
  out.push(...NOPS[n]);
  return out;
}

/** `.byte` lines for `count` bytes of `value` (long fills split over several lines). */
function byteLines(count: number, value: number): string[] {
  const out: string[] = [];
  const v = String(value & 0xff);
  for (let done = 0; done < count; done += 4096) out.push(".byte " + Array(Math.min(4096, count - done)).fill(v).join(","));
  return out;
}

export function byteDirective(bytes: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 4096) out.push(".byte " + bytes.slice(i, i + 4096).join(","));
  return out;
}

/** GNU as mnemonics (AT&T mode) the library knows under another name. */
const ATT_ALIASES: Record<string, string> = {
  cqo: "cqto", cdq: "cltd", cdqe: "cltq", cwde: "cwtl", cwd: "cwtd", cbw: "cbtw",
  movzbq: "movzxb", movzwq: "movzxw", fistpll: "fistpq", fildll: "fildq",
};

/** Intel-mode mnemonics the library knows under another name. */
const INTEL_ALIASES: Record<string, string> = { movabs: "mov" };

const SCALAR_SSE = /^(v?(add|sub|mul|div|sqrt|min|max|u?comi|cmp\w*|rcp|rsqrt|round)s[sd]|v?cvtt?s[sd]2s[sdi]|movs[sd])$/;

const PREFIXES = new Set(["lock", "rep", "repe", "repz", "repne", "repnz", "notrack", "bnd", "data16", "data32", "addr32", "rex", "rex64", "xacquire", "xrelease"]);

/**
 * A mnemonic the library reads only by taking its last letter as a size
 * suffix that GNU as does not accept there (`movx`, `addy`, `pushk`: the
 * library ignores a letter it does not know and reads x/y/z as vector sizes
 * on any instruction). as knows b/w/l/q on integer instructions, s/l/t/q on
 * x87 ones (what the library's x87 table holds) and x/y/z only on the AVX
 * forms that need them (vcvtpd2psx, vfpclasspdz).
 */
function badSuffix(stmt: string): boolean {
  let words = stmt.split(/\s+/, 4).map((w) => w.toLowerCase());
  while (words.length > 1 && PREFIXES.has(words[0])) words = words.slice(1);
  const word = words[0];
  if (!/^[a-z][a-z0-9]*$/.test(word)) return false;
  const interps = fetchMnemonic(word, false);
  if (interps.length === 0) return false; // unknown: the library says so itself
  return interps.every((i) => {
    if (i.raw === word || `v${i.raw}` === word) return false;
    const letter = word[word.length - 1];
    if (i.size === undefined) return true;
    if ("xyz".includes(letter)) return !word.startsWith("v") || !/^v?(cvt|fpclass)/.test(i.raw);
    return letter === "t" && !i.raw.startsWith("f");
  });
}

const IGNORED = new Set([".ident", ".loc", ".file", ".code64", ".addrsig", ".addrsig_sym", ".note", ".sleb128x"]);

/** Preprocesses `source` (read from `file`) into one statement per line. */
export function preprocess(source: string, file: string, opts: PreprocessOptions = {}): Preprocessed {
  const out: Preprocessed = { lines: [], locs: [], texts: [], aligns: [], sizes: [] };
  let original = "";
  const errors: AsmDiagnostic[] = [];
  const consts = new Map<string, bigint>();
  const labelCount = new Map<string, number>();
  const localNames = new Set<string>();
  const commons: { name: string; size: number; align: number; global: boolean; loc: SourceLoc }[] = [];
  const block = { inBlock: false };
  let ended = false;
  let intel = false;
  let intelLine = ".intel_syntax noprefix";

  const emit = (text: string, loc: SourceLoc) => {
    if (intel && (/^\.(?!intel_syntax|att_syntax)[\w.]+(\s|$)/i.test(text) || /^[A-Za-z_.$][\w.$]*\s*=[^=]/.test(text))) {
      // the library reads GNU as directives (and `name = expr`) only in AT&T mode
      push(".att_syntax prefix", loc);
      push(text, loc);
      push(intelLine, loc);
    } else push(text, loc);
  };
  const push = (text: string, loc: SourceLoc) => {
    if (out.lines.length >= MAX_EXPANDED_LINES) throw new AsmError([{ ...loc, message: "program too large after expansion" }]);
    out.lines.push(text);
    out.locs.push(loc);
    out.texts.push(original);
  };
  const err = (loc: SourceLoc, message: string) => errors.push({ ...loc, message });
  const constArg = (s: string | undefined, loc: SourceLoc, what: string): number | null => {
    if (s === undefined || s === "") return null;
    const v = evalConst(s, consts);
    if (v === null) {
      err(loc, `${what}: expected a constant expression, got '${s}'`);
      return null;
    }
    return Number(v);
  };
  const numericName = (n: string, k: number) => `.Lx64emu_num_${n}_${k}`;
  // symbols given a value more than once: how often, and the internal name of the current value
  const setCount = new Map<string, number>();
  const versions = new Map<string, string>();
  const setName = (n: string, k: number) => `.Lx64emu_set_${n}_${k}`;
  // Intel syntax: an operand made of symbols given values by =/.set/.equ is an immediate for as (`mov edx, len`),
  // a bare label a memory operand; the library reads both as memory, so the constants get `offset`
  const equated = new Set<string>();
  const equatesAsImmediates = (stmt: string, word: string): string => {
    const m = /^(\S+)\s+(.*)$/s.exec(stmt);
    if (!m || /^(j|call|loop)/.test(word)) return stmt;
    const ops = splitArgs(m[2]).map((op) => {
      if (/[[\]"]|\b(offset|ptr)\b/i.test(op)) return op;
      const names = op.match(/[A-Za-z_.$][\w.$]*/g);
      return names && names.every((n) => equated.has(n)) ? `offset ${op}` : op;
    });
    return `${m[1]} ${ops.join(", ")}`;
  };
  let setRefs = /$^/g;
  const renameSetRefs = (s: string): string => s.replace(setRefs, (m, n: string | undefined) => (n === undefined ? m : versions.get(n)!));
  const renameLocalRefs = (s: string): string =>
    s.replace(/"(?:\\.|[^"\\])*"|(?<![\w.$])(\d+)([bf])(?![\w.$])/g, (m, n: string | undefined, dir: string) => {
      if (n === undefined) return m;
      const k = labelCount.get(n) ?? 0;
      return numericName(n, dir === "b" ? k : k + 1);
    });

  const statement = (stmt: string, loc: SourceLoc) => {
    original = stmt;
    // leading labels (numeric ones renamed)
    let m: RegExpMatchArray | null;
    while ((m = stmt.match(/^([A-Za-z_.$][\w.$]*|\d+)\s*:(?![:=])\s*/))) {
      let name = m[1];
      if (/^\d+$/.test(name)) {
        const k = (labelCount.get(name) ?? 0) + 1;
        labelCount.set(name, k);
        name = numericName(name, k);
      }
      emit(`${name}:`, loc);
      stmt = stmt.slice(m[0].length);
    }
    if (stmt === "") return;
    const dm = stmt.match(/^(\.?[A-Za-z_][\w.]*)\s*(.*)$/s);
    const word = dm ? dm[1].toLowerCase() : "";
    const rest = dm ? dm[2] : "";
    const args = () => splitArgs(rest);
    switch (word) {
      case ".include": {
        const name = rest.trim().replace(/^"(.*)"$/, "$1");
        includeFile(name, loc);
        return;
      }
      case ".align":
      case ".balign":
      case ".p2align": {
        const [a, f, mx] = args();
        let n = constArg(a, loc, word);
        if (n === null) return;
        if (word === ".p2align") n = 2 ** n;
        else if (n === 0) return; // as: .align 0 asks for nothing
        if (n < 1 || !Number.isInteger(Math.log2(n))) return err(loc, `${word}: alignment ${n} is not a power of 2`);
        if (n > 1 << 20) return err(loc, `${word}: alignment ${n} is larger than this assembler supports (1 MiB)`);
        const fill = f === undefined || f === "" ? null : constArg(f, loc, word);
        const max = mx === undefined ? null : constArg(mx, loc, word);
        const marker = `.Lx64emu_align_${out.aligns.length}`;
        // the marker line becomes `marker: .byte ...`, which the library reads in AT&T mode only
        if (intel) push(".att_syntax prefix", loc);
        out.aligns.push({ line: out.lines.length, marker, align: n, fill, max });
        push(`${marker}:`, loc);
        if (intel) push(intelLine, loc);
        return;
      }
      case ".zero":
      case ".skip":
      case ".space": {
        const [n, v] = args();
        const count = constArg(n, loc, word);
        const value = v === undefined ? 0 : constArg(v, loc, word);
        if (count === null || value === null) return;
        if (count < 0) return err(loc, `${word}: negative size`);
        if (count > MAX_FILL) return err(loc, `${word}: ${count} bytes is more than this assembler supports (${MAX_FILL})`);
        for (const l of byteLines(count, value)) emit(l, loc);
        return;
      }
      case ".fill": {
        const [r, s, v] = args();
        const repeat = constArg(r, loc, word);
        const size = s === undefined ? 1 : constArg(s, loc, word);
        const value = v === undefined ? 0 : constArg(v, loc, word);
        if (repeat === null || size === null || value === null) return;
        if (repeat < 0 || size < 0) return err(loc, ".fill: negative size");
        if (repeat * size > MAX_FILL) return err(loc, `.fill: ${repeat * size} bytes is more than this assembler supports (${MAX_FILL})`);
        const unit: number[] = [];
        let x = BigInt(value);
        for (let i = 0; i < Math.min(size, 8); i++) {
          unit.push(Number(x & 0xffn));
          x >>= 8n;
        }
        while (unit.length < size) unit.push(0);
        const bytes: number[] = [];
        for (let i = 0; i < repeat; i++) bytes.push(...unit);
        for (const l of byteDirective(bytes)) emit(l, loc);
        return;
      }
      case ".lcomm":
      case ".comm": {
        const [name, sz, al] = args();
        const size = constArg(sz, loc, word);
        if (!name || size === null) return err(loc, `${word}: expected name, size`);
        if (size < 0 || size > MAX_FILL) return err(loc, `${word}: size ${size} out of range (0..${MAX_FILL})`);
        const align = al === undefined ? (word === ".comm" ? Math.min(16, 2 ** Math.floor(Math.log2(Math.max(size, 1)))) : 1) : constArg(al, loc, word) ?? 1;
        commons.push({ name, size, align, global: word === ".comm", loc });
        return;
      }
      case ".local":
        for (const n of args()) localNames.add(n);
        break;
      case ".section": {
        // as's optional entry size and group arguments (",4" after @progbits): the library takes name, flags, type
        const a = args();
        if (a.length > 3) stmt = `.section ${a.slice(0, 3).join(", ")}`;
        break;
      }
      case ".size": {
        const [name, expr] = args();
        if (!name || !expr) return err(loc, ".size: expected name, expression");
        const marker = `.Lx64emu_size_${out.sizes.length}`;
        out.sizes.push({ name, marker });
        emit(renameLocalRefs(`.set ${marker}, ${expr}`), loc);
        return;
      }
      case ".string":
        emit(".asciz " + rest, loc);
        return;
      case ".equiv":
        stmt = ".equ " + rest;
        break;
      case ".end":
        ended = true;
        return;
      case ".intel_syntax":
      case ".att_syntax":
        intel = word === ".intel_syntax";
        if (intel) intelLine = /noprefix/i.test(rest) || rest.trim() === "" ? ".intel_syntax noprefix" : ".intel_syntax prefix";
        emit(intel ? intelLine : ".att_syntax prefix", loc);
        return;
    }
    const aliases = intel ? INTEL_ALIASES : ATT_ALIASES;
    if (dm && aliases[word] !== undefined) stmt = aliases[word] + stmt.slice(dm[1].length);
    // scalar SSE forms read a size fixed by the mnemonic; the library rejects a (correct) size hint on them
    if (intel && SCALAR_SSE.test(word)) stmt = stmt.replace(/\b(?:DWORD|QWORD)\s+PTR\s+/gi, "");
    if (dm && !word.startsWith(".") && !/^[\w.$]+\s*=/.test(stmt)) {
      if (!intel && badSuffix(stmt)) return err(loc, `no such instruction: \`${stmt}'`);
      if (intel && equated.size) stmt = equatesAsImmediates(stmt, word);
      stmt = normalizeInstruction(stmt, intel);
    }
    if (word.startsWith(".cfi_") || IGNORED.has(word)) return;
    // remember constants for later .zero/.rept/.align arguments
    const setm = stmt.match(/^\.(?:set|equ)\s+([A-Za-z_.$][\w.$]*)\s*,\s*(.*)$/i) ?? stmt.match(/^([A-Za-z_.$][\w.$]*)\s*=\s*(.*)$/);
    if (setm) {
      const v = evalConst(setm[2], consts);
      if (v !== null) consts.set(setm[1], v);
      equated.add(setm[1]);
      const k = (setCount.get(setm[1]) ?? 0) + 1;
      setCount.set(setm[1], k);
      if (k > 1) {
        // as lets `=`/.set give a symbol a new value (a counter in .rept); the library does not: each value is its own symbol
        const rhs = renameSetRefs(setm[2]);
        versions.set(setm[1], setName(setm[1], k));
        setRefs = new RegExp(`"(?:\\\\.|[^"\\\\])*"|(?<![\\w.$%])(${[...versions.keys()].map(escapeRe).join("|")})(?![\\w.$])`, "g");
        return emit(renameLocalRefs(`.set ${setName(setm[1], k)}, ${rhs}`), loc);
      }
    }
    emit(renameLocalRefs(versions.size ? renameSetRefs(stmt) : stmt), loc);
  };

  const lines = (raw: RawLine[]) => {
    for (let i = 0; i < raw.length && !ended; i++) {
      const stmts = scanLine(raw[i].text, block);
      const first = stmts[0]?.match(/^\.(rept|irp|irpc)\b\s*(.*)$/i);
      if (first) {
        // collect the body up to the matching .endr
        const body: RawLine[] = [];
        let depth = 1, j = i + 1;
        const probe = { inBlock: false };
        for (; j < raw.length; j++) {
          const s = scanLine(raw[j].text, probe)[0] ?? "";
          if (/^\.(rept|irp|irpc)\b/i.test(s)) depth++;
          else if (/^\.endr\b/i.test(s) && --depth === 0) break;
          body.push(raw[j]);
        }
        if (j >= raw.length) {
          err(raw[i].loc, `.${first[1]} without .endr`);
          return;
        }
        if (first[1].toLowerCase() !== "rept") {
          err(raw[i].loc, `.${first[1]} is not supported (use .rept)`);
        } else {
          const n = constArg(first[2], raw[i].loc, ".rept") ?? 0;
          if (n * body.length > MAX_EXPANDED_LINES) err(raw[i].loc, ".rept: too many lines");
          else for (let k = 0; k < n; k++) lines(body);
        }
        i = j;
        continue;
      }
      for (const s of stmts) {
        if (/^\.endr\b/i.test(s)) {
          err(raw[i].loc, ".endr without .rept");
          continue;
        }
        statement(s, raw[i].loc);
        if (ended) break;
      }
    }
  };

  const stack: string[] = [];
  const fileLines = (text: string, name: string): RawLine[] =>
    text.replace(/\r\n?/g, "\n").split("\n").map((t, i) => ({ text: t, loc: { file: name, line: i + 1 } }));
  const includeFile = (name: string, loc: SourceLoc) => {
    const read = opts.readFile;
    const candidates = [joinPath(dirname(loc.file), name), ...(opts.includeDirs ?? []).map((d) => joinPath(d, name))];
    let text: string | undefined, found = "";
    for (const c of candidates) {
      text = read?.(c);
      if (text !== undefined) {
        found = c;
        break;
      }
    }
    if (text === undefined) return err(loc, `can't open ${name} for reading: No such file or directory`);
    if (stack.length >= MAX_INCLUDE_DEPTH) return err(loc, `.include nested too deeply`);
    stack.push(found);
    const saved = block.inBlock;
    block.inBlock = false;
    lines(fileLines(text, found));
    block.inBlock = saved;
    stack.pop();
    ended = false; // .end in an included file ends only that file's text
  };

  stack.push(file);
  lines(fileLines(source, file));
  for (const c of commons) {
    emit(".bss", c.loc);
    if (c.align > 1) statement(`.balign ${c.align}`, c.loc);
    if (c.global && !localNames.has(c.name)) emit(`.globl ${c.name}`, c.loc); // .local + .comm: a local common
    emit(`${c.name}:`, c.loc);
    for (const l of byteLines(c.size, 0)) emit(l, c.loc);
  }
  // a reassigned symbol keeps its last value under its own name (as as's symbol table has it), the first one gets an internal name
  for (const [name, last] of versions) {
    const re = new RegExp(`"(?:\\\\.|[^"\\\\])*"|(?<![\\w.$%])(${escapeRe(name)}|${escapeRe(last)})(?![\\w.$])`, "g");
    const first = setName(name, 1);
    for (let i = 0; i < out.lines.length; i++) {
      const l = out.lines[i];
      if (l.includes(name)) out.lines[i] = l.replace(re, (m, n: string | undefined) => (n === undefined ? m : n === name ? first : name));
    }
  }
  if (errors.length) throw new AsmError(errors);
  return out;
}
