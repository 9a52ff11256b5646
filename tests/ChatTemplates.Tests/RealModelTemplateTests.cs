namespace Platform.ChatTemplates.Tests;

/// <summary>
/// Real shipped templates rendered for system + user + assistant + user with add_generation_prompt, compared to the
/// exact prompt transformers' apply_chat_template produces.
/// </summary>
public sealed class RealModelTemplateTests
{
    [Fact]
    public void Llama31_renders_the_knowledge_date_header_and_trimmed_turns()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Llama31)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, "<|begin_of_text|>", "<|eot_id|>");

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "You are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there. How can I help?<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Llama31_takes_date_string_from_extra_variables()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Llama31).RenderChat(
            Conversations.WithoutSystem, addGenerationPrompt: false, "<|begin_of_text|>", "<|eot_id|>",
            extra: new Dictionary<string, object?> { ["date_string"] = "01 Jan 2025" });

        Assert.StartsWith(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>",
            prompt);
        Assert.EndsWith("What is 2+2?<|eot_id|>", prompt);
    }

    [Fact]
    public void Llama32_dates_the_system_header_with_strftime_now_from_the_injected_clock()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2025, 3, 7, 15, 30, 0, TimeSpan.Zero));
        var prompt = ChatTemplate.Parse(ModelTemplates.Llama32, clock)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, "<|begin_of_text|>", "<|eot_id|>");

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 07 Mar 2025\n\n"
            + "You are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there. How can I help?<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Llama3_puts_bos_on_the_first_turn_only()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Llama3)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, "<|begin_of_text|>", "<|eot_id|>");

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there. How can I help?<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Qwen25_renders_chatml_turns_with_the_given_system_prompt()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Qwen25)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, null, "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void Qwen25_supplies_its_default_system_prompt_when_none_is_given()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Qwen25)
            .RenderChat([new ChatMessage("user", "Hello!")], addGenerationPrompt: false, null, "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n",
            prompt);
    }

    [Fact]
    public void MistralV01_renders_inst_turns_with_eos_after_answers()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.MistralV01)
            .RenderChat(Conversations.WithoutSystem, addGenerationPrompt: true, "<s>", "</s>");

        Assert.Equal("<s>[INST] Hello! [/INST]Hi there. How can I help?</s> [INST] What is 2+2? [/INST]", prompt);
    }

    [Fact]
    public void MistralV03_folds_the_system_prompt_into_the_last_user_turn()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.MistralV03)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, "<s>", "</s>");

        Assert.Equal(
            "<s>[INST] Hello![/INST] Hi there. How can I help?</s>[INST] You are a helpful assistant.\n\nWhat is 2+2?[/INST]",
            prompt);
    }

    [Fact]
    public void Zephyr_relies_on_trim_blocks_for_its_one_tag_per_line_layout()
    {
        var prompt = ChatTemplate.Parse(ModelTemplates.Zephyr)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, "<s>", "</s>");

        Assert.Equal(
            "<|system|>\nYou are a helpful assistant.</s>\n"
            + "<|user|>\nHello!</s>\n"
            + "<|assistant|>\nHi there. How can I help?</s>\n"
            + "<|user|>\nWhat is 2+2?</s>\n"
            + "<|assistant|>\n",
            prompt);
    }

    [Fact]
    public void Built_in_chatml_template_renders_every_turn_and_the_generation_prompt()
    {
        var prompt = ChatTemplate.Parse(ChatTemplate.ChatMlTemplate)
            .RenderChat(Conversations.WithSystem, addGenerationPrompt: true, null, null);

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there. How can I help?<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void Generation_prompt_is_omitted_when_not_requested()
    {
        var prompt = ChatTemplate.Parse(ChatTemplate.ChatMlTemplate)
            .RenderChat(Conversations.WithoutSystem.Take(1).ToList(), addGenerationPrompt: false, null, null);

        Assert.Equal("<|im_start|>user\nHello!<|im_end|>\n", prompt);
    }
}
