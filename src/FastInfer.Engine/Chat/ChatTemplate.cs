using System.Text;

namespace FastInfer.Engine.Chat;

/// <summary>
/// Turns a conversation into the prompt text a chat-tuned model was trained on. GGUF files carry a Jinja
/// template (<c>tokenizer.chat_template</c>); rather than run Jinja, FastInfer recognises the template
/// families Llama-style models use and renders them directly.
/// </summary>
public abstract class ChatTemplate
{
    public abstract string Name { get; }

    /// <summary>Renders the messages and the opening of the assistant's turn.</summary>
    public abstract string Render(IReadOnlyList<(string Role, string Content)> messages);

    /// <summary>Text that ends an assistant turn when the model writes it out instead of an end token.</summary>
    public virtual IReadOnlyList<string> StopStrings => [];

    /// <summary>Llama 3 headers and &lt;|eot_id|&gt;.</summary>
    public static ChatTemplate Llama3 { get; } = new Llama3Template();
    /// <summary>Llama 2 / Mistral [INST] blocks with an optional &lt;&lt;SYS&gt;&gt; section.</summary>
    public static ChatTemplate Llama2 { get; } = new Llama2Template();
    /// <summary>ChatML's &lt;|im_start|&gt;role … &lt;|im_end|&gt;.</summary>
    public static ChatTemplate ChatML { get; } = new ChatMLTemplate();
    /// <summary>"User:"/"Assistant:" lines, for base models with no template.</summary>
    public static ChatTemplate Plain { get; } = new PlainTemplate();

    /// <summary>Picks the family from a GGUF's Jinja template text (null or unknown: <see cref="Plain"/>).</summary>
    public static ChatTemplate Detect(string? jinja) => jinja switch
    {
        null or "" => Plain,
        _ when jinja.Contains("<|start_header_id|>", StringComparison.Ordinal) => Llama3,
        _ when jinja.Contains("<|im_start|>", StringComparison.Ordinal) => ChatML,
        _ when jinja.Contains("[INST]", StringComparison.Ordinal) => Llama2,
        _ => Plain,
    };

    public static ChatTemplate FromName(string name) => name.ToLowerInvariant() switch
    {
        "llama3" => Llama3,
        "llama2" or "mistral" => Llama2,
        "chatml" => ChatML,
        "plain" => Plain,
        _ => throw new ArgumentException($"unknown chat template '{name}': expected llama3, llama2, mistral, chatml or plain"),
    };

    private sealed class Llama3Template : ChatTemplate
    {
        public override string Name => "llama3";

        public override string Render(IReadOnlyList<(string Role, string Content)> messages)
        {
            var text = new StringBuilder();
            foreach (var (role, content) in messages)
                text.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n").Append(content.Trim()).Append("<|eot_id|>");
            return text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n").ToString();
        }
    }

    private sealed class Llama2Template : ChatTemplate
    {
        public override string Name => "llama2";

        public override string Render(IReadOnlyList<(string Role, string Content)> messages)
        {
            var text = new StringBuilder();
            string? system = null;
            bool first = true;
            foreach (var (role, content) in messages)
            {
                switch (role)
                {
                    case "system":
                        system = content.Trim();
                        break;
                    case "user":
                        if (!first)
                            text.Append("<s>");
                        text.Append("[INST] ");
                        if (system != null)
                        {
                            text.Append("<<SYS>>\n").Append(system).Append("\n<</SYS>>\n\n");
                            system = null;
                        }
                        text.Append(content.Trim()).Append(" [/INST]");
                        first = false;
                        break;
                    default:
                        text.Append(' ').Append(content.Trim()).Append(" </s>");
                        break;
                }
            }
            return text.ToString();
        }
    }

    private sealed class ChatMLTemplate : ChatTemplate
    {
        public override string Name => "chatml";
        public override IReadOnlyList<string> StopStrings => ["<|im_end|>"];

        public override string Render(IReadOnlyList<(string Role, string Content)> messages)
        {
            var text = new StringBuilder();
            foreach (var (role, content) in messages)
                text.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
            return text.Append("<|im_start|>assistant\n").ToString();
        }
    }

    private sealed class PlainTemplate : ChatTemplate
    {
        public override string Name => "plain";
        public override IReadOnlyList<string> StopStrings => ["\nUser:"];

        public override string Render(IReadOnlyList<(string Role, string Content)> messages)
        {
            var text = new StringBuilder();
            foreach (var (role, content) in messages)
            {
                string speaker = role switch { "system" => "System", "user" => "User", "assistant" => "Assistant", _ => role };
                text.Append(speaker).Append(": ").Append(content.Trim()).Append('\n');
            }
            return text.Append("Assistant:").ToString();
        }
    }
}
