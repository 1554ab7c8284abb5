// The ways to write a model to disk (model.save, model.exportOnnx) live in lib/io, which builds on
// the engine; the engine reaches them through this registry, which io fills as it loads, so the
// engine imports nothing of io and the two form no import circle. lib/index.ts loads io, so users
// of the package always find both writers registered.

/** Options of `model.save(path, options)`. */
export interface SaveOptions {
  /**
   * 'convkit' (default): model.json + weights-<hex>.bin, with the training configuration and a
   * checksum.
   * 'tfjs': TensorFlow.js's layers format (model.json with the Keras config + weight shards), which
   * `tf.loadLayersModel` reads; the training configuration is not written.
   */
  format?: 'convkit' | 'tfjs';
}

/** What io provides for models of type M: model.save and model.exportOnnx call these. */
export interface FormatWriters<M> {
  save(model: M, path: string, options?: SaveOptions): Promise<void>;
  onnx(model: M, path: string): Promise<void>;
}

/** The writers registered so far, by name; typed by the model class that owns the registry. */
export class FormatRegistry<M> {
  private readonly writers: Partial<FormatWriters<M>> = {};

  register<K extends keyof FormatWriters<M>>(name: K, writer: FormatWriters<M>[K]): void {
    this.writers[name] = writer;
  }

  /** The writer of that name, or an Error when nothing registered it (lib/io was not loaded). */
  get<K extends keyof FormatWriters<M>>(name: K): FormatWriters<M>[K] {
    const writer = this.writers[name];
    if (!writer) {
      throw new Error(
        `no '${name}' writer is registered: it comes with lib/io, which the 'convkit' entry point loads ` +
          '(code importing lib/engine directly must also import lib/io)',
      );
    }
    return writer;
  }
}
