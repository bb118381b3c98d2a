using MoCo.Orchestrator.Logs;

namespace MoCo.Orchestrator.Tests.Logs;

/// <summary>The number vectors of config-and-cli.md §3.1.</summary>
public sealed class PyFloatTests
{
    [Theory]
    [InlineData(0.55, "0.55")]
    [InlineData(1.0, "1.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(2.0 / 3.0, "0.6667")]
    [InlineData(0.12345, "0.1235")]
    [InlineData(0.00015, "0.0001")]
    [InlineData(0.00004, "0.0")]
    [InlineData(-0.00001, "-0.0")]
    [InlineData(-3.14159, "-3.1416")]
    public void Round_then_repr_matches_python(double value, string expected) => Assert.Equal(expected, PyFloat.Repr(PyFloat.Round(value, 4)));

    [Theory]
    [InlineData(0.125, "0.12")]
    [InlineData(0.375, "0.38")]
    [InlineData(0.5, "0.50")]
    [InlineData(-1.005, "-1.00")]
    public void Fixed_two_digits_matches_python(double value, string expected) => Assert.Equal(expected, PyFloat.Fixed(value, 2));

    [Theory]
    [InlineData(1e-4, "0.0001")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(1.5e-5, "1.5e-05")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123.456, "123.456")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Repr_matches_python(double value, string expected) => Assert.Equal(expected, PyFloat.Repr(value));
}
