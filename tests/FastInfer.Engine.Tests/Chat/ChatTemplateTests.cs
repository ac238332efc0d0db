using FastInfer.Engine.Chat;

namespace FastInfer.Engine.Tests.Chat;

public class ChatTemplateTests
{
    private static readonly (string, string)[] Conversation =
        [("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello!"), ("user", "Name a color.")];

    [Fact]
    public void Llama3RendersHeadersAndOpensTheAssistantTurn()
    {
        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nName a color.<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Llama3.Render(Conversation));
    }

    [Fact]
    public void Llama2PutsTheSystemPromptInTheFirstInstruction()
    {
        Assert.Equal(
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Name a color. [/INST]",
            ChatTemplate.Llama2.Render(Conversation));
    }

    [Fact]
    public void ChatMLAndPlain()
    {
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.ChatML.Render([("user", "Hi")]));
        Assert.Equal("User: Hi\nAssistant:", ChatTemplate.Plain.Render([("user", "Hi")]));
    }

    [Theory]
    [InlineData(null, "plain")]
    [InlineData("{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>{% endfor %}", "llama3")]
    [InlineData("{{ bos_token }}{% if m.role == 'user' %}[INST] {{ m.content }} [/INST]{% endif %}", "llama2")]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}", "chatml")]
    [InlineData("something else", "plain")]
    public void DetectsTheFamilyFromTheJinjaTemplate(string? jinja, string expected)
    {
        Assert.Equal(expected, ChatTemplate.Detect(jinja).Name);
    }

    [Fact]
    public void UnknownTemplateNameIsRejected()
    {
        Assert.Throws<ArgumentException>(() => ChatTemplate.FromName("vicuna"));
    }
}
