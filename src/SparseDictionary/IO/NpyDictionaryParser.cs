using System.Globalization;
using System.Text;

namespace SparseDictionary.IO;

/// <summary>
/// Parses the Python dict literal of an .npy header strictly: only the subset of Python literal syntax that NumPy and
/// other writers produce is accepted, everything else is an <see cref="InvalidDataException"/> naming the file.
/// </summary>
/// <remarks>
/// <para>Grammar (spaces may separate any two tokens):</para>
/// <code>
/// header  := dict ' '* '\n'                                  (the whole header; the newline is its last byte)
/// dict    := '{' [ entry (',' entry)* [','] ] '}'
/// entry   := string ':' value
/// value   := string | 'True' | 'False' | tuple
/// tuple   := '(' ')' | '(' integer ',' ')' | '(' integer (',' integer)+ [','] ')'
/// string  := "'" chars "'" | '"' chars '"'                    (no backslash, no control character)
/// integer := ['-'] ('0' | [1-9][0-9]*)                        (at most 64 bits)
/// </code>
/// <para>Values are returned as <see cref="string"/>, <see cref="bool"/> or <see cref="long"/>[] (a tuple). A repeated key
/// is rejected here; which keys are required is the caller's business.</para>
/// </remarks>
internal sealed class NpyDictionaryParser
{
    private readonly string _text;
    private readonly string _path;
    private int _position;

    private NpyDictionaryParser(string text, string path)
    {
        _text = text;
        _path = path;
    }

    /// <summary>Parses <paramref name="text"/>, the decoded header of <paramref name="path"/>, into its entries in file order.</summary>
    /// <exception cref="InvalidDataException">The text breaks the grammar or repeats a key.</exception>
    public static IReadOnlyList<KeyValuePair<string, object>> Parse(string text, string path)
    {
        var parser = new NpyDictionaryParser(text, path);
        var entries = parser.ParseDictionary();
        parser.ParseEnd();
        return entries;
    }

    /// <summary>A value as Python would print it, for error messages.</summary>
    public static string Describe(object value) => value switch
    {
        string text => $"'{text}'",
        bool flag => flag ? "True" : "False",
        long[] { Length: 1 } tuple => $"({tuple[0].ToString(CultureInfo.InvariantCulture)},)",
        long[] tuple => $"({string.Join(", ", tuple.Select(v => v.ToString(CultureInfo.InvariantCulture)))})",
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Header text quoted in a message, cut to a readable length (a hostile header may hold a megabyte).</summary>
    public static string Shorten(string text) => text.Length <= 64 ? text : $"{text[..64]}... ({text.Length} characters)";

    private List<KeyValuePair<string, object>> ParseDictionary()
    {
        var entries = new List<KeyValuePair<string, object>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        Expect('{', "the header must start with '{' (a Python dict literal)");
        SkipSpaces();
        if (TryTake('}'))
        {
            return entries;
        }

        while (true)
        {
            SkipSpaces();
            if (entries.Count > 0 && TryTake('}'))
            {
                return entries;
            }

            var keyPosition = _position;
            var key = ParseString("a key (a quoted string)");
            var shownKey = Shorten(key);
            SkipSpaces();
            Expect(':', $"expected ':' after the key '{shownKey}'");
            SkipSpaces();
            var value = ParseValue(shownKey);
            if (!keys.Add(key))
            {
                throw Invalid($"the key '{shownKey}' appears twice (again at character {keyPosition})");
            }

            entries.Add(new KeyValuePair<string, object>(key, value));
            SkipSpaces();
            if (TryTake(','))
            {
                continue;
            }

            Expect('}', "expected ',' or '}' after a value");
            return entries;
        }
    }

    private void ParseEnd()
    {
        SkipSpaces();
        if (_position != _text.Length - 1 || _text[_position] != '\n')
        {
            throw Invalid(_position >= _text.Length
                ? "the header does not end with a newline"
                : $"after the dict only spaces and one final newline may follow, but {Found()} does");
        }
    }

    private object ParseValue(string key)
    {
        if (_position >= _text.Length)
        {
            throw Invalid($"the value of '{key}' is missing");
        }

        switch (_text[_position])
        {
            case '\'' or '"':
                return ParseString($"the value of '{key}'");
            case '(':
                return ParseTuple(key);
            case 'T' when TryTakeWord("True"):
                return true;
            case 'F' when TryTakeWord("False"):
                return false;
            case '[':
                throw Invalid($"the value of '{key}' is a list; structured dtypes (lists of fields) are not supported");
            default:
                throw Invalid($"the value of '{key}' is not a string, True, False or a tuple of integers: {Found()}");
        }
    }

    private string ParseString(string what)
    {
        if (_position >= _text.Length || _text[_position] is not ('\'' or '"'))
        {
            throw Invalid($"expected {what}, found {Found()}");
        }

        var quote = _text[_position];
        var start = ++_position;
        while (_position < _text.Length && _text[_position] != quote)
        {
            var c = _text[_position];
            if (c == '\\' || char.IsControl(c))
            {
                throw Invalid($"{what} holds {Found()}; escapes and control characters are not accepted in header strings");
            }

            _position++;
        }

        if (_position >= _text.Length)
        {
            throw Invalid($"{what} is not closed by a {quote} quote");
        }

        return _text[start.._position++];
    }

    private long[] ParseTuple(string key)
    {
        Expect('(', "expected '('");
        var values = new List<long>();
        SkipSpaces();
        if (TryTake(')'))
        {
            return [];
        }

        while (true)
        {
            values.Add(ParseInteger(key));
            SkipSpaces();
            if (TryTake(','))
            {
                SkipSpaces();
                if (TryTake(')'))
                {
                    return [.. values];
                }

                continue;
            }

            if (values.Count == 1 && _position < _text.Length && _text[_position] == ')')
            {
                throw Invalid($"the value of '{key}' is a parenthesised integer, not a tuple (a one-element tuple is written with a trailing comma, as in (3,))");
            }

            Expect(')', $"expected ',' or ')' in the tuple of '{key}'");
            return [.. values];
        }
    }

    private long ParseInteger(string key)
    {
        var start = _position;
        var negative = TryTake('-');
        var digitsStart = _position;
        while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
        {
            _position++;
        }

        var digits = _text.AsSpan(digitsStart, _position - digitsStart);
        if (digits.Length == 0)
        {
            throw Invalid($"expected an integer in the tuple of '{key}', found {Found()}");
        }

        if (digits.Length > 1 && digits[0] == '0')
        {
            throw Invalid($"the integer at character {start} of the tuple of '{key}' has a leading zero");
        }

        if (_position < _text.Length && (char.IsAsciiLetter(_text[_position]) || _text[_position] is '_' or '.'))
        {
            throw Invalid($"the integer at character {start} of the tuple of '{key}' is followed by {Found()}; only plain decimal integers are accepted");
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude))
        {
            var shown = digits.Length > 40 ? $"{digits[..40]}... ({digits.Length} digits)" : digits.ToString();
            throw Invalid($"the integer {(negative ? "-" : string.Empty)}{shown} in the tuple of '{key}' overflows 64 bits");
        }

        return negative ? -magnitude : magnitude;
    }

    private void SkipSpaces()
    {
        while (_position < _text.Length && _text[_position] == ' ')
        {
            _position++;
        }
    }

    private bool TryTake(char c)
    {
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }

        return false;
    }

    private bool TryTakeWord(string word)
    {
        var end = _position + word.Length;
        if (!_text.AsSpan(_position).StartsWith(word, StringComparison.Ordinal)
            || (end < _text.Length && (char.IsAsciiLetterOrDigit(_text[end]) || _text[end] == '_')))
        {
            return false;
        }

        _position = end;
        return true;
    }

    private void Expect(char c, string problem)
    {
        if (!TryTake(c))
        {
            throw Invalid($"{problem}, found {Found()}");
        }
    }

    /// <summary>The character at the current position, printable and quoted, with its position.</summary>
    private string Found()
    {
        if (_position >= _text.Length)
        {
            return "the end of the header";
        }

        var c = _text[_position];
        var shown = c is >= ' ' and <= '~' ? $"'{c}'" : $"U+{(int)c:X4}";
        return $"{shown} at character {_position}";
    }

    private InvalidDataException Invalid(string problem)
    {
        var message = new StringBuilder("The header of ").Append(_path).Append(" is not a valid .npy header dict: ").Append(problem).Append('.');
        return new InvalidDataException(message.ToString());
    }
}
