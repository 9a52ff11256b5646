using System.Globalization;
using System.Text;

namespace Platform.ChatTemplates.Runtime;

/// <summary>
/// Python's <c>strftime</c> in the C locale, enough for the date headers templates print
/// (Llama 3.2: <c>"%d %b %Y"</c>). Supports glibc's <c>%-d</c> (no padding) too.
/// </summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset time, string format)
    {
        var culture = CultureInfo.InvariantCulture;
        var result = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                result.Append(format[i]);
                continue;
            }

            var unpadded = format[i + 1] == '-' && i + 2 < format.Length;
            var code = format[unpadded ? i + 2 : i + 1];
            i += unpadded ? 2 : 1;
            string Number(int value, int width) => unpadded ? value.ToString(culture) : value.ToString(new string('0', width), culture);
            result.Append(code switch
            {
                'Y' => time.Year.ToString(culture),
                'y' => Number(time.Year % 100, 2),
                'm' => Number(time.Month, 2),
                'd' => Number(time.Day, 2),
                'e' => time.Day.ToString(culture).PadLeft(2),
                'H' => Number(time.Hour, 2),
                'I' => Number(time.Hour % 12 == 0 ? 12 : time.Hour % 12, 2),
                'M' => Number(time.Minute, 2),
                'S' => Number(time.Second, 2),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", culture),
                'j' => Number(time.DayOfYear, 3),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'b' or 'h' => culture.DateTimeFormat.GetAbbreviatedMonthName(time.Month),
                'B' => culture.DateTimeFormat.GetMonthName(time.Month),
                'a' => culture.DateTimeFormat.GetAbbreviatedDayName(time.DayOfWeek),
                'A' => culture.DateTimeFormat.GetDayName(time.DayOfWeek),
                'w' => ((int)time.DayOfWeek).ToString(culture),
                'z' => (time.Offset < TimeSpan.Zero ? "-" : "+") + time.Offset.ToString("hhmm", culture),
                'F' => time.ToString("yyyy-MM-dd", culture),
                'T' => time.ToString("HH:mm:ss", culture),
                '%' => "%",
                _ => "%" + (unpadded ? "-" : "") + code,
            });
        }

        return result.ToString();
    }
}
