using System.Text;
using MoCo.Models.Tokenization.Unicode;

namespace MoCo.Models.Tokenization.Normalizers;

/// <summary>HF "NFC", "NFD", "NFKC" and "NFKD".</summary>
internal sealed class UnicodeFormNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text) => UnicodeNormalizer.Normalize(text, form);
}
