namespace FastInfer.Engine.Tests.Formats.HuggingFace;

/// <summary>config.json texts as published with real checkpoints (hyperparameters verbatim).</summary>
internal static class RealConfigs
{
    public const string TinyLlama = """
        {
          "architectures": [
            "LlamaForCausalLM"
          ],
          "attention_bias": false,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 2048,
          "initializer_range": 0.02,
          "intermediate_size": 5632,
          "max_position_embeddings": 2048,
          "model_type": "llama",
          "num_attention_heads": 32,
          "num_hidden_layers": 22,
          "num_key_value_heads": 4,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": null,
          "rope_theta": 10000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.35.0",
          "use_cache": true,
          "vocab_size": 32000
        }
        """;

    public const string Mistral7B = """
        {
          "architectures": [
            "MistralForCausalLM"
          ],
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 4096,
          "initializer_range": 0.02,
          "intermediate_size": 14336,
          "max_position_embeddings": 32768,
          "model_type": "mistral",
          "num_attention_heads": 32,
          "num_hidden_layers": 32,
          "num_key_value_heads": 8,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "sliding_window": 4096,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.34.0.dev0",
          "use_cache": true,
          "vocab_size": 32000
        }
        """;

    /// <summary>Mistral-7B-Instruct-v0.2: no sliding window, larger rope theta.</summary>
    public const string Mistral7BInstructV02 = """
        {
          "architectures": [
            "MistralForCausalLM"
          ],
          "attention_dropout": 0.0,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 4096,
          "initializer_range": 0.02,
          "intermediate_size": 14336,
          "max_position_embeddings": 32768,
          "model_type": "mistral",
          "num_attention_heads": 32,
          "num_hidden_layers": 32,
          "num_key_value_heads": 8,
          "rms_norm_eps": 1e-05,
          "rope_theta": 1000000.0,
          "sliding_window": null,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.36.0",
          "use_cache": true,
          "vocab_size": 32000
        }
        """;

    public const string Mixtral8x7B = """
        {
          "architectures": [
            "MixtralForCausalLM"
          ],
          "attention_dropout": 0.0,
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 4096,
          "initializer_range": 0.02,
          "intermediate_size": 14336,
          "max_position_embeddings": 32768,
          "model_type": "mixtral",
          "num_attention_heads": 32,
          "num_experts_per_tok": 2,
          "num_hidden_layers": 32,
          "num_key_value_heads": 8,
          "num_local_experts": 8,
          "output_router_logits": false,
          "rms_norm_eps": 1e-05,
          "rope_theta": 1000000.0,
          "router_aux_loss_coef": 0.02,
          "sliding_window": null,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.36.0.dev0",
          "use_cache": true,
          "vocab_size": 32000
        }
        """;
}
