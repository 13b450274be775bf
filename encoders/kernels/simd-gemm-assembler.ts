/**
 * A minimal WebAssembly binary writer: just the instructions the SIMD GEMM of simd-gemm-module.ts
 * needs (i32/f32 scalars, v128 loads/stores, f32x4 arithmetic, structured control flow), one
 * imported memory and exported functions. Writing the bytes here keeps the repository free of
 * prebuilt binaries and of a WAT toolchain: the module is generated at load time (~µs).
 */

/** WebAssembly value types. */
export const I32 = 0x7f;
/** 32-bit float. */
export const F32 = 0x7d;
/** 128-bit SIMD vector. */
export const V128 = 0x7b;
/** A WebAssembly value type byte. */
export type ValType = typeof I32 | typeof F32 | typeof V128;

function uleb(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

function sleb(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(text: string, out: number[]): void {
  const bytes = new TextEncoder().encode(text);
  uleb(bytes.length, out);
  out.push(...bytes);
}

/** A local variable index. */
export type Local = number & { readonly __local: unique symbol };

/** Builds one function body. Methods append instructions and return `this` for chaining. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly extraLocals: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  /** The index of parameter `i`. */
  param(i: number): Local {
    if (i < 0 || i >= this.params.length) throw new RangeError(`no parameter ${i}`);
    return i as Local;
  }

  /** Declares a new local of `type`. */
  local(type: ValType): Local {
    this.extraLocals.push(type);
    return (this.params.length + this.extraLocals.length - 1) as Local;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    this.code.push(...immediates);
    return this;
  }

  private memarg(alignLog2: number, offset: number): this {
    uleb(alignLog2, this.code);
    uleb(offset, this.code);
    return this;
  }

  get(l: Local): this { this.op(0x20); uleb(l, this.code); return this; }
  set(l: Local): this { this.op(0x21); uleb(l, this.code); return this; }
  tee(l: Local): this { this.op(0x22); uleb(l, this.code); return this; }
  i32(value: number): this { this.op(0x41); sleb(value, this.code); return this; }
  f32(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(0x43, ...bytes);
  }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  eq(): this { return this.op(0x46); }
  ne(): this { return this.op(0x47); }
  ltS(): this { return this.op(0x48); }
  geS(): this { return this.op(0x4e); }
  and(): this { return this.op(0x71); }
  eqz(): this { return this.op(0x45); }
  select(): this { return this.op(0x1b); }
  f32Eq(): this { return this.op(0x5b); }
  f32Add(): this { return this.op(0x92); }
  f32Mul(): this { return this.op(0x94); }
  f32Load(offset = 0): this { return this.op(0x2a).memarg(2, offset); }
  f32Store(offset = 0): this { return this.op(0x38).memarg(2, offset); }
  /** `v128.load` (alignment hint 4 bytes: rows of C need not be 16-byte aligned). */
  v128Load(offset = 0): this { return this.simd(0x00).memarg(2, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(2, offset); }
  v128Zero(): this { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  /** `i8x16.shuffle` with f32 lane indices (0–3 from the first operand, 4–7 from the second). */
  f32x4Shuffle(lanes: readonly [number, number, number, number]): this {
    return this.simd(0x0d, ...lanes.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]));
  }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** `block … end`: `br 0` inside jumps to the end. */
  block(body: () => void): this { this.op(0x02, 0x40); body(); return this.op(0x0b); }
  /** `loop … end`: `br 0` inside jumps back to the start. */
  loop(body: () => void): this { this.op(0x03, 0x40); body(); return this.op(0x0b); }
  /** `if … (else …) end` on the i32 on the stack. */
  if(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    then();
    if (otherwise !== undefined) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }
  br(depth: number): this { this.op(0x0c); uleb(depth, this.code); return this; }
  brIf(depth: number): this { this.op(0x0d); uleb(depth, this.code); return this; }

  /** The function's code entry (locals + body + `end`), size-prefixed. */
  encode(): number[] {
    const body: number[] = [];
    uleb(this.extraLocals.length, body);
    for (const type of this.extraLocals) body.push(1, type);
    body.push(...this.code, 0x0b);
    const out: number[] = [];
    uleb(body.length, out);
    return out.concat(body);
  }
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  out.push(...content);
}

/**
 * A module importing one memory as `env.memory` (minimum 1 page, no maximum, so any non-shared
 * memory fits) and exporting `functions` under their names.
 */
export function assembleModule(functions: ReadonlyArray<{ readonly name: string; readonly fn: FunctionBuilder }>): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(functions.length, types);
  for (const { fn } of functions) {
    types.push(0x60);
    uleb(fn.params.length, types);
    types.push(...fn.params);
    uleb(fn.results.length, types);
    types.push(...fn.results);
  }
  section(1, types, out);
  const imports: number[] = [1];
  name('env', imports);
  name('memory', imports);
  imports.push(0x02, 0x00, 0x01);
  section(2, imports, out);
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, i) => uleb(i, funcs));
  section(3, funcs, out);
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach(({ name: exportName }, i) => {
    name(exportName, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports, out);
  const code: number[] = [];
  uleb(functions.length, code);
  for (const { fn } of functions) code.push(...fn.encode());
  section(10, code, out);
  return Uint8Array.from(out);
}
