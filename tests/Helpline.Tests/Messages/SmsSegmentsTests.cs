using Helpline.Messages;

namespace Helpline.Tests.Messages;

/// <summary>The segment count under the reply box, against the rules carriers bill by (docs/sms.md).</summary>
public sealed class SmsSegmentsTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    [InlineData(1600, 11)]
    public void GsmTextFits160OrElse153APart(int length, int segments)
    {
        var count = SmsSegments.Count(new string('a', length));
        Assert.Equal((length, segments, false), (count.Characters, count.Segments, count.Unicode));
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void OneAccentOutsideGsmMakesItUnicode70OrElse67APart(int length, int segments)
    {
        var count = SmsSegments.Count("á" + new string('a', length - 1));
        Assert.Equal((segments, true, "á"), (count.Segments, count.Unicode, count.FirstUnicodeCharacter));
    }

    [Fact]
    public void SpanishLettersInGsmStayGsmAndTheOthersDoNot()
    {
        Assert.False(SmsSegments.Count("¿Qué? ñ é ¡ Ü ü Ñ ò").Unicode);
        foreach (var letter in new[] { "á", "í", "ó", "ú", "Á", "ç", "’", "😊" })
            Assert.True(SmsSegments.Count("Hola " + letter).Unicode, letter);
    }

    [Fact]
    public void GsmExtensionCharactersCountTwiceAndAreNeverSplit()
    {
        Assert.Equal(1, SmsSegments.Count(new string('{', 80)).Segments);
        Assert.Equal(2, SmsSegments.Count(new string('{', 81)).Segments);
        Assert.Equal(1, SmsSegments.Count(new string('a', 158) + "€").Segments);
        Assert.Equal(2, SmsSegments.Count(new string('a', 159) + "€").Segments);
        // 152 ones then a two-septet character: a part of 153 would split it, so it starts the second part.
        Assert.Equal(2, SmsSegments.Count(new string('a', 152) + "]" + new string('a', 151)).Segments);
        Assert.Equal(3, SmsSegments.Count(new string('a', 152) + "]" + new string('a', 152)).Segments);
    }

    [Fact]
    public void AnEmojiIsTwoUnitsAndIsNotSplitAcrossParts()
    {
        Assert.Equal(1, SmsSegments.Count(string.Concat(Enumerable.Repeat("😊", 35))).Segments);
        Assert.Equal(2, SmsSegments.Count(string.Concat(Enumerable.Repeat("😊", 36))).Segments);
        // 66 units then an emoji: it does not fit the first part's 67, so it starts the second.
        Assert.Equal(3, SmsSegments.Count(new string('á', 66) + "😊" + new string('á', 66)).Segments);
        Assert.Equal(2, SmsSegments.Count(new string('á', 66) + "😊" + new string('á', 65)).Segments);
        Assert.Equal("😊", SmsSegments.Count("hi 😊").FirstUnicodeCharacter);
    }
}
