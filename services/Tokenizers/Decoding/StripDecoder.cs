namespace Platform.Tokenizers;

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing copies of one character from every token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(Strip);

    private string Strip(string token)
    {
        var begin = 0;
        while (begin < start && begin < token.Length && token[begin] == content)
        {
            begin++;
        }

        var end = token.Length;
        while (token.Length - end < stop && end > begin && token[end - 1] == content)
        {
            end--;
        }

        return begin == 0 && end == token.Length ? token : token[begin..end];
    }
}
