// Varint byte streams for day blocks: a minute-cadence heart-rate sample costs about 4 bytes instead of a row.

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  /** `capacity`: the bytes expected, so a big block is not grown (and copied) a dozen times. */
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** An unsigned integer up to 2^53, 7 bits a byte. */
  uint(value: number) {
    this.room(8);
    while (value >= 128) {
      this.buf[this.length++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buf[this.length++] = value;
  }

  float(value: number) {
    this.room(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** A bpm as its tenths when that is exact (one or two bytes), else as the float behind an escape. */
  bpm(value: number) {
    const tenths = Math.round(value * 10);
    if (tenths >= 0 && tenths < 2 ** 40 && tenths / 10 === value && !Object.is(value, -0)) this.uint(tenths * 2);
    else {
      this.uint(1);
      this.float(value);
    }
  }

  /** Bytes already encoded (a held block's samples, kept as they are). */
  raw(bytes: Uint8Array) {
    this.room(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done() {
    return this.offset >= this.buf.length;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.buf[this.offset++]!;
      value += (byte & 127) * scale;
      if (byte < 128) return value;
      scale *= 128;
    }
  }

  float(): number {
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  bpm(): number {
    const code = this.uint();
    return code === 1 ? this.float() : code / 2 / 10;
  }
}
