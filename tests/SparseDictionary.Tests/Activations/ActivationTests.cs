
namespace SparseDictionary.Tests.Activations;

public class ActivationTests
{
    [Fact]
    public void TopK_KeepsTheKLargestPositiveValues_ByDecreasingValue()
    {
        var activation = new TopKActivation(3);
        var indices = new int[3];
        var values = new float[3];
        var count = activation.Forward([0.5f, 3f, -1f, 3f, 2f, 0.1f], indices, values);
        count.Should().Be(3);
        indices.Should().Equal(1, 3, 4);
        values.Should().Equal(3f, 3f, 2f);
    }

    [Fact]
    public void TopK_DropsNonPositiveSurvivors()
    {
        var activation = new TopKActivation(3);
        var indices = new int[3];
        var values = new float[3];
        activation.Forward([-2f, 1f, 0f, -1f], indices, values).Should().Be(1);
        indices[0].Should().Be(1);
    }

    [Fact]
    public void ReLU_ReturnsEveryPositiveEntryInIndexOrder()
    {
        var input = Enumerable.Range(0, 37).Select(i => (float)Math.Sin(i)).ToArray();
        var activation = new ReLUActivation();
        var indices = new int[37];
        var values = new float[37];
        var count = activation.Forward(input, indices, values);
        var expected = Enumerable.Range(0, 37).Where(i => input[i] > 0).ToArray();
        indices[..count].Should().Equal(expected);
        values[..count].Should().Equal(expected.Select(i => input[i]));
    }

    [Fact]
    public void Backward_OfTopKAndReLU_PassesTheGradientThrough()
    {
        float[] gradient = [0.5f, -2f];
        new TopKActivation(2).Backward([1f, 2f], [1f, 2f], gradient);
        gradient.Should().Equal(0.5f, -2f);
        new ReLUActivation().Backward([1f, 2f], [1f, 2f], gradient);
        gradient.Should().Equal(0.5f, -2f);
    }

    [Fact]
    public void TopK_RejectsNonPositiveK()
    {
        var act = () => new TopKActivation(0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*k >= 1*");
    }
}
