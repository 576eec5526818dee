using SparseDictionary.Regularization;

namespace SparseDictionary.Tests.Support;

/// <summary>A regularizer that adds nothing (loss 0, no gradient): its presence alone makes the trainer run the backward
/// pass and the update separately, as it must whenever a regularizer may add to the gradients in between.</summary>
internal sealed class SilentRegularizer : IRegularizer
{
    public string Name => "Silent";

    public DeadLatentSelection? DeadLatentSelection => null;

    public void Reset()
    {
    }

    public double Apply(RegularizerContext context) => 0;
}
