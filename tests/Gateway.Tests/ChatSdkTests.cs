using System.Text;
using OpenAI.Chat;

#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK.

namespace Platform.Gateway.Tests;

/// <summary>The OpenAI .NET SDK against the Gateway's chat endpoint.</summary>
[Collection(StoriesGatewayCollection.Name)]
public sealed class ChatSdkTests(StoriesGatewayFixture fixture)
{
    private static readonly ChatMessage[] Conversation =
    [
        new SystemChatMessage("You tell short stories."),
        new UserChatMessage("Once upon a time there was a little dog"),
    ];

    [SkippableFact]
    public async Task NonStreamingChatReturnsTextUsageAndFinishReason()
    {
        var chat = fixture.Server.Sdk().GetChatClient("stories");
        ChatCompletion completion = await chat.CompleteChatAsync(Conversation,
            new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 0, EndUserId = "user-1" });

        Assert.Equal("stories", completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.False(string.IsNullOrEmpty(completion.Content[0].Text));
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 10);
        Assert.Equal(completion.Usage.InputTokenCount + 12, completion.Usage.TotalTokenCount);
    }

    [SkippableFact]
    public async Task StreamingChatGivesTheSameGreedyTextAndUsage()
    {
        var chat = fixture.Server.Sdk().GetChatClient("stories");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 20, Temperature = 0 };
        ChatCompletion whole = await chat.CompleteChatAsync(Conversation, options);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        int updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync(Conversation, options))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.True(updates > 3);
        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(20, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
    }

    [SkippableFact]
    public async Task StopStringEndsTheCompletionBeforeIt()
    {
        var chat = fixture.Server.Sdk().GetChatClient("stories");
        ChatCompletion free = await chat.CompleteChatAsync(Conversation, new ChatCompletionOptions { MaxOutputTokenCount = 40, Temperature = 0 });
        var text = free.Content[0].Text;
        // A stop string taken from the middle of the greedy text cuts it there.
        var stop = text.Substring(text.Length / 2, 3);
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var options = new ChatCompletionOptions { MaxOutputTokenCount = 40, Temperature = 0 };
        options.StopSequences.Add(stop);
        ChatCompletion stopped = await chat.CompleteChatAsync(Conversation, options);

        Assert.Equal(expected, stopped.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [SkippableFact]
    public async Task LogprobsComeWithEveryTokenAndItsAlternatives()
    {
        var chat = fixture.Server.Sdk().GetChatClient("stories");
        ChatCompletion completion = await chat.CompleteChatAsync(Conversation, new ChatCompletionOptions
        {
            MaxOutputTokenCount = 8, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 3,
        });

        var tokens = completion.ContentTokenLogProbabilities;
        Assert.Equal(8, tokens.Count);
        Assert.Equal(completion.Content[0].Text, string.Concat(tokens.Select(t => t.Token)));
        foreach (var token in tokens)
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(3, token.TopLogProbabilities.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(token.Token, token.TopLogProbabilities[0].Token);
            Assert.Equal(token.LogProbability, token.TopLogProbabilities[0].LogProbability, 5);
            Assert.Equal(Encoding.UTF8.GetBytes(token.Token), token.Utf8Bytes!.Value.ToArray());
        }
    }

    [SkippableFact]
    public async Task SameSeedSameSampledText()
    {
        var chat = fixture.Server.Sdk().GetChatClient("stories");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 16, Temperature = 1.0f, TopP = 0.9f, Seed = 42 };
        ChatCompletion a = await chat.CompleteChatAsync(Conversation, options);
        ChatCompletion b = await chat.CompleteChatAsync(Conversation, options);
        Assert.Equal(a.Content[0].Text, b.Content[0].Text);
    }

    [SkippableFact]
    public async Task ContentPartsAndDeveloperRoleAreAccepted()
    {
        var chat = fixture.Server.Sdk().GetChatClient("stories");
        ChatMessage[] messages =
        [
            new DeveloperChatMessage("Be brief."),
            new UserChatMessage(ChatMessageContentPart.CreateTextPart("Once upon"), ChatMessageContentPart.CreateTextPart("a time")),
            new AssistantChatMessage("There was a cat."),
            new UserChatMessage("And then?"),
        ];
        ChatCompletion completion = await chat.CompleteChatAsync(messages, new ChatCompletionOptions { MaxOutputTokenCount = 4, Temperature = 0 });
        Assert.Equal(4, completion.Usage.OutputTokenCount);
    }
}
