using SparseDictionary.Randomness;

namespace SparseDictionary;

/// <summary>
/// A sparse autoencoder: x_hat = W_dec^T sigma(W_enc (x - b_dec) + b_enc) + b_dec, with unit-norm decoder directions.
/// </summary>
/// <remarks>
/// <para>Weights are stored as rows: <see cref="EncoderWeights"/> and <see cref="DecoderWeights"/> are both
/// latents x d, row i being latent i's encoder direction and decoder direction (the decoder matrix of the formula is
/// the transpose). Training keeps every decoder row at unit Euclidean norm (Gao et al. 2024; Bricken et al. 2023).</para>
/// <para>Initialisation is tied (Gao et al. 2024, section 2.4): decoder rows are random unit vectors and the encoder
/// starts as their copy (W_enc = W_dec^T in the column convention); both biases start at 0. Set b_dec from data with
/// <see cref="InitializeDecoderBias"/> (the trainer does it when its options ask).</para>
/// <para>Thread safety: encoding, decoding and reconstruction only read the weights and may run concurrently from
/// any number of threads. Training writes the weights in place; do not run inference on an SAE while it trains.</para>
/// </remarks>
public sealed class SparseAutoencoder
{
    // Cache-line aligned (AlignedMemory): the kernels stream and gather their rows.
    private readonly Memory<float> _encoderWeights;
    private readonly Memory<float> _encoderBias;
    private readonly Memory<float> _decoderWeights;
    private readonly Memory<float> _decoderBias;

    /// <summary>Creates an SAE with tied random initialisation.</summary>
    /// <param name="inputDimension">Width d of the inputs, at least 1.</param>
    /// <param name="latentCount">Number of latents (dictionary size), at least 1.</param>
    /// <param name="activation">The nonlinearity sigma, e.g. <see cref="TopKActivation"/>.</param>
    /// <param name="seed">Seed of the initial weights; the same seed gives the same weights on every machine.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1, or the activation cannot work with <paramref name="latentCount"/> latents (k &gt; latents).</exception>
    /// <exception cref="ArgumentException">The activation's <see cref="IActivation.GetCapacity"/> returned a value outside [0, <paramref name="latentCount"/>].</exception>
    public SparseAutoencoder(int inputDimension, int latentCount, IActivation activation, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (inputDimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(inputDimension), inputDimension, "The input dimension must be at least 1.");
        }

        if (latentCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(latentCount), latentCount, "The latent count must be at least 1.");
        }

        if ((long)inputDimension * latentCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(latentCount), $"{latentCount} latents x {inputDimension} inputs exceeds one weight buffer ({Array.MaxLength} elements).");
        }

        if ((long)inputDimension + latentCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(latentCount), $"{latentCount} latents + {inputDimension} inputs exceeds one row of the encoder's scratch ({Array.MaxLength} elements).");
        }

        var capacity = activation.GetCapacity(latentCount);
        if (capacity < 0 || capacity > latentCount)
        {
            throw new ArgumentException(
                $"The activation {activation.Name} reports a capacity of {capacity} for {latentCount} latents; IActivation.GetCapacity must return a value in [0, {latentCount}].",
                nameof(activation));
        }

        Capacity = capacity;
        InputDimension = inputDimension;
        LatentCount = latentCount;
        Activation = activation;
        _encoderWeights = AlignedMemory.Allocate(latentCount * inputDimension);
        _encoderBias = AlignedMemory.Allocate(latentCount);
        _decoderWeights = AlignedMemory.Allocate(latentCount * inputDimension);
        _decoderBias = AlignedMemory.Allocate(inputDimension);
        InitializeWeights(seed);
    }

    private SparseAutoencoder(SparseAutoencoder other)
    {
        InputDimension = other.InputDimension;
        LatentCount = other.LatentCount;
        Activation = other.Activation;
        Capacity = other.Capacity;
        _encoderWeights = AlignedMemory.CopyOf(other._encoderWeights.Span);
        _encoderBias = AlignedMemory.CopyOf(other._encoderBias.Span);
        _decoderWeights = AlignedMemory.CopyOf(other._decoderWeights.Span);
        _decoderBias = AlignedMemory.CopyOf(other._decoderBias.Span);
    }

    /// <summary>
    /// An SAE with the given weights (copied into the SAE's own aligned buffers), for the file loaders. The weights are
    /// taken as they are: decoder rows are not renormalised.
    /// </summary>
    /// <param name="activation">The nonlinearity.</param>
    /// <param name="inputDimension">d.</param>
    /// <param name="latentCount">h.</param>
    /// <param name="encoderWeights">W_enc as h x d rows.</param>
    /// <param name="encoderBias">b_enc, length h.</param>
    /// <param name="decoderWeights">W_dec as h x d rows.</param>
    /// <param name="decoderBias">b_dec, length d.</param>
    /// <exception cref="ArgumentException">A buffer's length does not match the sizes.</exception>
    internal static SparseAutoencoder FromWeights(
        IActivation activation, int inputDimension, int latentCount,
        ReadOnlySpan<float> encoderWeights, ReadOnlySpan<float> encoderBias, ReadOnlySpan<float> decoderWeights, ReadOnlySpan<float> decoderBias)
    {
        var sae = new SparseAutoencoder(inputDimension, latentCount, activation, seed: 0);
        var weights = (long)inputDimension * latentCount;
        if (encoderWeights.Length != weights || decoderWeights.Length != weights || encoderBias.Length != latentCount || decoderBias.Length != inputDimension)
        {
            throw new ArgumentException(
                $"Weights of {encoderWeights.Length}, {encoderBias.Length}, {decoderWeights.Length} and {decoderBias.Length} values do not fit an SAE of {latentCount} latents x {inputDimension} inputs (expected {weights}, {latentCount}, {weights}, {inputDimension}).");
        }

        encoderWeights.CopyTo(sae._encoderWeights.Span);
        encoderBias.CopyTo(sae._encoderBias.Span);
        decoderWeights.CopyTo(sae._decoderWeights.Span);
        decoderBias.CopyTo(sae._decoderBias.Span);
        return sae;
    }

    /// <summary>Width d of the inputs and reconstructions.</summary>
    public int InputDimension { get; }

    /// <summary>Number of latents h.</summary>
    public int LatentCount { get; }

    /// <summary>The nonlinearity sigma.</summary>
    public IActivation Activation { get; }

    /// <summary>Maximum active latents per row (the activation's capacity for <see cref="LatentCount"/>).</summary>
    public int Capacity { get; }

    /// <summary>W_enc as latents x d rows (row i: latent i's encoder direction). A live view: writes change the model.</summary>
    public Matrix EncoderWeights => Matrix.Wrap(_encoderWeights, LatentCount, InputDimension);

    /// <summary>b_enc, one per latent. A live view.</summary>
    public Memory<float> EncoderBias => _encoderBias;

    /// <summary>W_dec as latents x d rows (row i: latent i's unit-norm decoder direction). A live view; keep rows unit-norm (<see cref="NormalizeDecoderRows"/>).</summary>
    public Matrix DecoderWeights => Matrix.Wrap(_decoderWeights, LatentCount, InputDimension);

    /// <summary>b_dec, one per input dimension. A live view.</summary>
    public Memory<float> DecoderBias => _decoderBias;

    internal Memory<float> EncoderWeightsBuffer => _encoderWeights;

    internal Memory<float> EncoderBiasBuffer => _encoderBias;

    internal Memory<float> DecoderWeightsBuffer => _decoderWeights;

    internal Memory<float> DecoderBiasBuffer => _decoderBias;

    /// <summary>
    /// Re-draws all weights as a fresh tied initialisation: decoder rows uniform on the unit sphere (normalised
    /// Gaussian vectors) from <paramref name="seed"/>, W_enc = W_dec rows, b_enc = 0, b_dec = 0.
    /// </summary>
    /// <param name="seed">Seed of the draw.</param>
    public void InitializeWeights(int seed)
    {
        var random = new DeterministicRandom(DeterministicRandom.DeriveSeed((ulong)(uint)seed, 0x5AE1));
        var decoder = _decoderWeights.Span;
        for (var i = 0; i < decoder.Length; i++)
        {
            decoder[i] = (float)random.NextGaussian();
        }

        Kernels.RowKernels.NormalizeRows(_decoderWeights, LatentCount, InputDimension);
        _decoderWeights.Span.CopyTo(_encoderWeights.Span);
        _encoderBias.Span.Clear();
        _decoderBias.Span.Clear();
    }

    /// <summary>Sets b_dec from a sample of inputs.</summary>
    /// <param name="sample">Input rows (width d), finite.</param>
    /// <param name="method">Mean or geometric median; <see cref="DecoderBiasInitialization.None"/> leaves b_dec unchanged.</param>
    /// <exception cref="ArgumentException">The sample is empty, has the wrong width or holds a non-finite value.</exception>
    public void InitializeDecoderBias(Matrix sample, DecoderBiasInitialization method)
    {
        ValidateInput(sample, nameof(sample));
        if (sample.Rows == 0)
        {
            throw new ArgumentException("The sample has no rows; b_dec needs at least one.", nameof(sample));
        }

        var center = method switch
        {
            DecoderBiasInitialization.None => null,
            DecoderBiasInitialization.Mean => DataStatistics.Mean(sample),
            DecoderBiasInitialization.GeometricMedian => DataStatistics.GeometricMedian(sample),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Expected None, Mean or GeometricMedian."),
        };
        if (center is null)
        {
            return;
        }

        var bias = _decoderBias.Span;
        for (var c = 0; c < InputDimension; c++)
        {
            bias[c] = (float)center[c];
        }
    }

    /// <summary>Rescales every decoder row to unit Euclidean norm (zero rows stay zero).</summary>
    public void NormalizeDecoderRows() => Kernels.RowKernels.NormalizeRows(_decoderWeights, LatentCount, InputDimension);

    /// <summary>Encodes a batch to sparse codes, z = sigma(W_enc (x - b_dec) + b_enc).</summary>
    /// <param name="input">Rows of width <see cref="InputDimension"/>, finite.</param>
    /// <returns>New codes with one row per input row.</returns>
    /// <exception cref="ArgumentException">Wrong width, or a NaN or infinite entry (the message names its row and column).</exception>
    /// <exception cref="InvalidOperationException">The activation returned an invalid row (a count outside [0, <see cref="Capacity"/>], an index out of range or repeated, or a non-finite value); the message names the activation, the row and the value.</exception>
    public SparseCodes Encode(Matrix input)
    {
        ValidateInput(input, nameof(input));
        var codes = new SparseCodes(input.Rows, LatentCount, Capacity);
        Kernels.EncoderPass.Run(this, input, codes, null, null, null);
        return codes;
    }

    /// <summary>Encodes a batch into existing codes (no allocation of the result).</summary>
    /// <param name="input">Rows of width <see cref="InputDimension"/>, finite.</param>
    /// <param name="destination">
    /// Codes with input.Rows rows, <see cref="LatentCount"/> latents and at least <see cref="Capacity"/> capacity. After
    /// an exception every row of it is still valid (distinct indices in range, finite values), but which rows hold
    /// new codes is unspecified.
    /// </param>
    /// <exception cref="ArgumentException">Wrong width, a NaN or infinite entry, or a destination of the wrong shape.</exception>
    /// <exception cref="InvalidOperationException">The activation returned an invalid row (a count outside [0, <see cref="Capacity"/>], an index out of range or repeated, or a non-finite value); the message names the activation, the row and the value.</exception>
    public void Encode(Matrix input, SparseCodes destination)
    {
        ValidateInput(input, nameof(input));
        ValidateCodes(destination, input.Rows, nameof(destination));
        if (destination.Capacity < Capacity)
        {
            throw new ArgumentException($"The destination capacity is {destination.Capacity} but this SAE needs {Capacity}.", nameof(destination));
        }

        Kernels.EncoderPass.Run(this, input, destination, null, null, null);
    }

    /// <summary>Encodes one vector.</summary>
    /// <param name="input">A vector of length <see cref="InputDimension"/>, finite.</param>
    /// <param name="activeIndices">Receives the active latent indices; length at least <see cref="Capacity"/>.</param>
    /// <param name="activeValues">Receives their values; length at least <see cref="Capacity"/>.</param>
    /// <returns>The number of active latents.</returns>
    /// <exception cref="ArgumentException">Wrong length, a NaN or infinite entry, or output spans shorter than <see cref="Capacity"/>.</exception>
    /// <exception cref="InvalidOperationException">The activation returned an invalid row (a count outside [0, <see cref="Capacity"/>], an index out of range or repeated, or a non-finite value); the message names the activation, the row and the value.</exception>
    public int Encode(ReadOnlySpan<float> input, Span<int> activeIndices, Span<float> activeValues)
    {
        if (activeIndices.Length < Capacity || activeValues.Length < Capacity)
        {
            throw new ArgumentException($"The output spans hold {Math.Min(activeIndices.Length, activeValues.Length)} entries but this SAE can activate {Capacity}.", nameof(activeIndices));
        }

        var row = Matrix.Wrap(input.ToArray(), 1, input.Length);
        var codes = Encode(row);
        codes.Indices(0).CopyTo(activeIndices);
        codes.Values(0).CopyTo(activeValues);
        return codes.Count(0);
    }

    /// <summary>Decodes sparse codes, x_hat = W_dec^T z + b_dec.</summary>
    /// <param name="codes">Codes over <see cref="LatentCount"/> latents.</param>
    /// <returns>A new codes.Rows x d matrix.</returns>
    public Matrix Decode(SparseCodes codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var output = new Matrix(codes.Rows, InputDimension);
        Decode(codes, output);
        return output;
    }

    /// <summary>Decodes sparse codes into an existing matrix, x_hat = W_dec^T z + b_dec.</summary>
    /// <param name="codes">Codes over <see cref="LatentCount"/> latents.</param>
    /// <param name="destination">A codes.Rows x d matrix; overwritten.</param>
    public void Decode(SparseCodes codes, Matrix destination)
    {
        ValidateCodes(codes, codes?.Rows ?? 0, nameof(codes));
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Rows != codes!.Rows || destination.Columns != InputDimension)
        {
            throw new ArgumentException($"The destination is {destination.Rows} x {destination.Columns} but must be {codes.Rows} x {InputDimension}.", nameof(destination));
        }

        Kernels.SparseKernels.Decode(codes, _decoderWeights, InputDimension, _decoderBias, destination);
    }

    /// <summary>Decodes one sparse vector.</summary>
    /// <param name="activeIndices">Active latent indices, distinct, in [0, <see cref="LatentCount"/>).</param>
    /// <param name="activeValues">Their values.</param>
    /// <param name="output">Receives x_hat; length <see cref="InputDimension"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ, an index is outside [0, <see cref="LatentCount"/>) or repeated, or the output has the wrong length; nothing is read through the indices before they are checked.</exception>
    public void Decode(ReadOnlySpan<int> activeIndices, ReadOnlySpan<float> activeValues, Span<float> output)
    {
        if (output.Length != InputDimension)
        {
            throw new ArgumentException($"The output has length {output.Length} but the SAE's input dimension is {InputDimension}.", nameof(output));
        }

        var codes = new SparseCodes(1, LatentCount, Math.Min(activeIndices.Length, LatentCount));
        codes.SetRow(0, activeIndices, activeValues);
        var result = Decode(codes);
        result.Span.CopyTo(output);
    }

    /// <summary>Reconstructs a batch, x_hat = decode(encode(x)).</summary>
    /// <param name="input">Rows of width <see cref="InputDimension"/>, finite.</param>
    /// <returns>A new matrix of reconstructions.</returns>
    /// <exception cref="ArgumentException">Wrong width, or a NaN or infinite entry.</exception>
    /// <exception cref="InvalidOperationException">The activation returned an invalid row (a count outside [0, <see cref="Capacity"/>], an index out of range or repeated, or a non-finite value); the message names the activation, the row and the value.</exception>
    public Matrix Reconstruct(Matrix input) => Decode(Encode(input));

    /// <summary>Reconstructs one vector.</summary>
    /// <param name="input">A vector of length <see cref="InputDimension"/>, finite.</param>
    /// <param name="output">Receives x_hat; length <see cref="InputDimension"/>.</param>
    public void Reconstruct(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != InputDimension)
        {
            throw new ArgumentException($"The output has length {output.Length} but the SAE's input dimension is {InputDimension}.", nameof(output));
        }

        var result = Reconstruct(Matrix.Wrap(input.ToArray(), 1, input.Length));
        result.Span.CopyTo(output);
    }

    /// <summary>
    /// Saves the SAE into <paramref name="directory"/> in the library's own layout: <c>sparse_dictionary.json</c>
    /// (format version, library version, d, latent count, the activation's kind and parameters) and
    /// <c>weights.safetensors</c> (F32 <c>encoder.weight</c> [h, d], <c>encoder.bias</c> [h], <c>decoder.weight</c>
    /// [h, d], <c>decoder.bias</c> [d]). <see cref="Load"/> gives back the same weights bit for bit.
    /// </summary>
    /// <param name="directory">The folder; created when missing. Existing files of the layout are replaced, each atomically.</param>
    /// <exception cref="ArgumentException">The activation's type is not registered with <see cref="ActivationRegistry"/>.</exception>
    /// <exception cref="IOException">A file cannot be written; the message names it.</exception>
    public void Save(string directory) => Save(directory, SaeFileLayout.Native);

    /// <summary>
    /// Saves the SAE in <paramref name="layout"/>: the library's own (see <see cref="Save(string)"/>), SAELens's
    /// (<c>cfg.json</c> + <c>sae_weights.safetensors</c>, W_enc stored transposed as [d_in, d_sae]) or sparsify's
    /// (<c>cfg.json</c> + <c>sae.safetensors</c>). docs/formats.md lists the config fields written.
    /// </summary>
    /// <param name="directory">The folder; created when missing. Existing files of the layout are replaced, each atomically.</param>
    /// <param name="layout">The layout.</param>
    /// <exception cref="ArgumentException">The layout cannot hold this SAE's activation (SAELens: TopK or ReLU; sparsify: TopK), or the activation is not registered (native).</exception>
    /// <exception cref="IOException">A file cannot be written; the message names it.</exception>
    public void Save(string directory, SaeFileLayout layout)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        switch (layout)
        {
            case SaeFileLayout.Native:
                IO.NativeSaeLayout.Save(this, directory);
                break;
            case SaeFileLayout.SaeLens:
                IO.SaeLensLayout.Save(this, directory);
                break;
            case SaeFileLayout.Sparsify:
                IO.SparsifyLayout.Save(this, directory);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(layout), layout, "Expected Native, SaeLens or Sparsify.");
        }
    }

    /// <summary>The layout of the SAE saved in <paramref name="directory"/>, detected from its files, or null when none matches.</summary>
    /// <param name="directory">A folder.</param>
    /// <returns>Native when it holds <c>sparse_dictionary.json</c>; SaeLens for <c>cfg.json</c> + <c>sae_weights.safetensors</c>; Sparsify for <c>cfg.json</c> + <c>sae.safetensors</c>.</returns>
    public static SaeFileLayout? DetectLayout(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return IO.NativeSaeLayout.IsLayout(directory) ? SaeFileLayout.Native
            : IO.SaeLensLayout.IsLayout(directory) ? SaeFileLayout.SaeLens
            : IO.SparsifyLayout.IsLayout(directory) ? SaeFileLayout.Sparsify
            : null;
    }

    /// <summary>
    /// Loads an SAE from <paramref name="directory"/>, in whichever layout its files show (<see cref="DetectLayout"/>):
    /// the library's own (bit-identical to what <see cref="Save(string)"/> wrote), SAELens's or sparsify's. A model from
    /// SAELens or sparsify encodes and decodes as that project's forward pass does on the same weights.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <returns>The SAE.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file of the layout is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">No layout matches the folder's files, a file is malformed, a tensor has the wrong shape or type, the architecture is not supported (e.g. SAELens's JumpReLU), or the activation kind is not registered; the message names the file.</exception>
    public static SparseAutoencoder Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The SAE folder {directory} does not exist.");
        }

        return DetectLayout(directory) switch
        {
            SaeFileLayout.Native => IO.NativeSaeLayout.Load(directory),
            SaeFileLayout.SaeLens => IO.SaeLensLayout.Load(directory),
            SaeFileLayout.Sparsify => IO.SparsifyLayout.Load(directory),
            _ => throw new InvalidDataException(
                $"{directory} holds no SAE layout this library reads: {IO.NativeSaeLayout.ConfigFile} (this library), cfg.json + sae_weights.safetensors (SAELens) or cfg.json + sae.safetensors (sparsify)."),
        };
    }

    /// <summary>A deep copy: the same activation object, copies of all weights.</summary>
    /// <returns>The copy.</returns>
    public SparseAutoencoder Clone() => new(this);

    /// <summary>Throws unless <paramref name="input"/> has width d and only finite entries.</summary>
    internal void ValidateInput(Matrix input, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(input, parameterName);
        if (input.Columns != InputDimension)
        {
            throw new ArgumentException($"The input has {input.Columns} columns but the SAE's input dimension is {InputDimension}.", parameterName);
        }

        var position = FiniteCheck.FirstNonFinite(input.Span);
        if (position >= 0)
        {
            var value = input.Span[position];
            throw new ArgumentException($"Input row {position / InputDimension}, column {position % InputDimension} is {value}; SAE inputs must be finite.", parameterName);
        }
    }

    private void ValidateCodes(SparseCodes? codes, int rows, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(codes, parameterName);
        if (codes.LatentCount != LatentCount)
        {
            throw new ArgumentException($"The codes address {codes.LatentCount} latents but the SAE has {LatentCount}.", parameterName);
        }

        if (codes.Rows != rows)
        {
            throw new ArgumentException($"The codes have {codes.Rows} rows but {rows} are needed.", parameterName);
        }
    }
}
