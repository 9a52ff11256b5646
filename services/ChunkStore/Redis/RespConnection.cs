using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Platform.ChunkStore.Redis;

/// <summary>
/// One connection of <see cref="RedisRangeReader"/>, speaking RESP2 with one command in flight: a bulk reply is
/// read from the socket straight into a pooled buffer of its size. After any exception its protocol state is
/// unknown: the owner disposes it.
/// </summary>
internal sealed class RespConnection : IDisposable
{
    // Reply lines ("$2097152", "+OK", "-ERR ...") and what a read brought along after them.
    private readonly byte[] _head = new byte[1024];
    private readonly Stream _stream;
    private int _headStart;
    private int _headEnd;

    private RespConnection(Stream stream) => _stream = stream;

    /// <summary>Connects, and authenticates, selects the database and names the client as the endpoint says.</summary>
    public static async Task<RespConnection> OpenAsync(RedisEndpoint endpoint, CancellationToken cancellationToken)
    {
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(endpoint.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, connectTimeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (endpoint.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var authentication = new SslClientAuthenticationOptions { TargetHost = endpoint.SslHost ?? endpoint.Host };
                await ssl.AuthenticateAsClientAsync(authentication, connectTimeout.Token).ConfigureAwait(false);
            }
            var connection = new RespConnection(stream);
            if (endpoint.Password is { } password)
            {
                string[] auth = endpoint.User is { } user ? ["AUTH", user, password] : ["AUTH", password];
                await connection.ExpectOkAsync(auth, connectTimeout.Token).ConfigureAwait(false);
            }
            if (endpoint.Database != 0)
            {
                string database = endpoint.Database.ToString(CultureInfo.InvariantCulture);
                await connection.ExpectOkAsync(["SELECT", database], connectTimeout.Token).ConfigureAwait(false);
            }
            if (!string.IsNullOrEmpty(endpoint.ClientName))
            {
                try
                {
                    string[] setName = ["CLIENT", "SETNAME", endpoint.ClientName + "-ranges"];
                    await connection.ExpectOkAsync(setName, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (RespErrorException)
                {
                    // A proxy or a managed Redis that does not offer CLIENT: the name only helps CLIENT LIST readers.
                }
            }
            return connection;
        }
        catch
        {
            if (stream is null)
            {
                socket.Dispose();
            }
            else
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>
    /// <c>GETRANGE key start end</c>: the bytes of the value in [start, end], fewer (or none) when the value is
    /// shorter (or missing), in a pooled buffer the caller disposes.
    /// </summary>
    public async Task<RentedBytes> GetRangeAsync(string key, long start, long end, CancellationToken cancellationToken)
    {
        string s = start.ToString(CultureInfo.InvariantCulture);
        string e = end.ToString(CultureInfo.InvariantCulture);
        await WriteCommandAsync(["GETRANGE", key, s, e], cancellationToken).ConfigureAwait(false);
        return await ReadBulkAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stream.Dispose();

    private async Task ExpectOkAsync(string[] command, CancellationToken cancellationToken)
    {
        await WriteCommandAsync(command, cancellationToken).ConfigureAwait(false);
        string line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line != "+OK")
        {
            throw line.StartsWith('-') ? new RespErrorException(line[1..]) : ProtocolError($"'{command[0]}' was answered '{line}'");
        }
    }

    private async Task WriteCommandAsync(string[] parts, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteLine(buffer, '*', parts.Length);
        foreach (string part in parts)
        {
            int length = Encoding.UTF8.GetByteCount(part);
            WriteLine(buffer, '$', length);
            Encoding.UTF8.GetBytes(part, buffer);
            buffer.Write("\r\n"u8);
        }
        await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void WriteLine(ArrayBufferWriter<byte> buffer, char prefix, int value)
    {
        var span = buffer.GetSpan(16);
        span[0] = (byte)prefix;
        Utf8Formatter.TryFormat(value, span[1..], out int written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        buffer.Advance(3 + written);
    }

    private async Task<RentedBytes> ReadBulkAsync(CancellationToken cancellationToken)
    {
        string line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line.StartsWith('-'))
        {
            throw new RespErrorException(line[1..]);
        }
        if (!line.StartsWith('$') || !int.TryParse(line.AsSpan(1), CultureInfo.InvariantCulture, out int length))
        {
            throw ProtocolError($"expected a bulk string, got '{line}'");
        }
        if (length < 0)
        {
            return RentedBytes.Empty;
        }
        var payload = RentedBytes.Rent(length);
        try
        {
            // What the line's read brought along, then the rest straight from the socket.
            int got = Math.Min(length, _headEnd - _headStart);
            _head.AsSpan(_headStart, got).CopyTo(payload.Span);
            _headStart += got;
            while (got < length)
            {
                got += await ReadSomeAsync(payload.Memory[got..], cancellationToken).ConfigureAwait(false);
            }
            while (_headEnd - _headStart < 2)
            {
                await FillHeadAsync(cancellationToken).ConfigureAwait(false);
            }
            if (_head[_headStart] != '\r' || _head[_headStart + 1] != '\n')
            {
                throw ProtocolError("a bulk string did not end in CRLF");
            }
            _headStart += 2;
            return payload;
        }
        catch
        {
            payload.Dispose();
            throw;
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int end = _head.AsSpan(_headStart, _headEnd - _headStart).IndexOf("\r\n"u8);
            if (end >= 0)
            {
                string line = Encoding.UTF8.GetString(_head, _headStart, end);
                _headStart += end + 2;
                return line;
            }
            await FillHeadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads more into the head buffer (moving what is unread to its front first).</summary>
    private async Task FillHeadAsync(CancellationToken cancellationToken)
    {
        if (_headStart > 0)
        {
            _head.AsSpan(_headStart, _headEnd - _headStart).CopyTo(_head);
            _headEnd -= _headStart;
            _headStart = 0;
        }
        if (_headEnd == _head.Length)
        {
            throw ProtocolError($"a reply line is longer than {_head.Length} bytes");
        }
        _headEnd += await ReadSomeAsync(_head.AsMemory(_headEnd), cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ReadSomeAsync(Memory<byte> into, CancellationToken cancellationToken)
    {
        int read = await _stream.ReadAsync(into, cancellationToken).ConfigureAwait(false);
        return read > 0 ? read : throw new IOException("Redis closed the connection");
    }

    private static IOException ProtocolError(string what) => new($"unexpected reply from Redis: {what}");
}
