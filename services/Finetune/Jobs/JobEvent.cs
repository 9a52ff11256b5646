namespace Platform.Finetune.Jobs;

/// <summary>OpenAI's <c>fine_tuning.job.event</c>; metrics events carry step, loss, tokens trained and progress in <see cref="Data"/>.</summary>
public sealed record JobEvent(string Id, string Object, long CreatedAt, string Level, string Message, string Type, StepMetrics? Data);
