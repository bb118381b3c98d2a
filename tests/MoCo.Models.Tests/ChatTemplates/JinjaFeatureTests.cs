using System.Text.Json;
using MoCo.Models.ChatTemplates;

namespace MoCo.Models.Tests.ChatTemplates;

/// <summary>One small template per Jinja feature (whitespace control, literals, Python printing, operators,
/// tests, loops and scoping, macros, filters, methods, globals, errors), each compared with jinja2's render
/// of the same template (Fixtures/features.json → goldens/features.json).</summary>
public sealed class JinjaFeatureTests
{
    private static readonly JsonElement Features = Load("features.json");
    private static readonly JsonElement Goldens = Load(Path.Combine("goldens", "features.json"));

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var feature in Features.GetProperty("cases").EnumerateArray())
        {
            data.Add(feature.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Renders_like_jinja2(string name)
    {
        var feature = Features.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var expected = Goldens.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var template = ChatTemplate.Parse(feature.GetProperty("template").GetString()!, name);
        var request = new ChatTemplateRequest
        {
            Messages = [],
            Variables = Features.GetProperty("variables").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value),
            Clock = () => ChatTemplateFixtures.Clock,
        };

        if (expected.TryGetProperty("error", out var error))
        {
            var failure = Assert.Throws<ChatTemplateException>(() => template.Render(request));
            Assert.Equal(expected.GetProperty("error_type").GetString() == "TemplateError" ? ChatTemplateErrorKind.Raised : ChatTemplateErrorKind.Runtime, failure.Kind);
            Assert.Equal(error.GetString(), failure.Problem);
            return;
        }
        Assert.Equal(expected.GetProperty("output").GetString(), template.Render(request));
    }

    private static JsonElement Load(string relative)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ChatTemplateFixtures.Directory, relative)));
        return document.RootElement.Clone();
    }
}
