defmodule Aybiza.Conversation.ThinkingCachePromptsTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.{PromptCache, Thinking, VoicePrompts}

  defp request(extra \\ %{}) do
    Map.merge(
      %{
        model_id: "m",
        messages: [%{role: :user, content: "Why does my router drop?"}],
        inference_config: %{max_tokens: 4096}
      },
      extra
    )
  end

  describe "Thinking" do
    test "enable/3 builds the real Bedrock shape" do
      assert {:ok, req} =
               Thinking.enable(request(%{additional_model_request_fields: %{"x" => 1}}), 2048)

      assert req.additional_model_request_fields == %{
               "x" => 1,
               "thinking" => %{"type" => "enabled", "budget_tokens" => 2048}
             }

      assert Thinking.enabled?(req)
      assert Thinking.budget(req) == 2048
      refute Thinking.enabled?(request())
    end

    test "enable/3 validates the budget, tool choice and sampling before sending" do
      assert {:error, %Aybiza.Error{reason: :invalid_request, message: m}} =
               Thinking.enable(request(), 1023)

      assert m =~ ">= 1024"
      assert {:error, %{message: m}} = Thinking.enable(request(), 4096)
      assert m =~ "below inference_config.max_tokens (4096)"
      assert {:error, %{message: m}} = Thinking.enable(request(%{inference_config: nil}), 2048)
      assert m =~ "max_tokens is required"

      forced = request(%{tool_config: %{tools: [], tool_choice: %{tool: %{name: "x"}}}})
      assert {:error, %{message: m}} = Thinking.enable(forced, 2048)
      assert m =~ "tool_choice"

      assert {:ok, _} =
               Thinking.enable(
                 request(%{tool_config: %{tools: [], tool_choice: %{auto: %{}}}}),
                 2048
               )

      hot = request(%{inference_config: %{max_tokens: 4096, temperature: 0.3}})
      assert {:error, %{message: m}} = Thinking.enable(hot, 2048)
      assert m =~ "temperature"
      assert {:ok, req} = Thinking.enable(hot, 2048, drop_sampling: true)
      assert req.inference_config == %{max_tokens: 4096}

      topk = request(%{"additionalModelRequestFields" => %{"top_k" => 5}})
      assert {:error, %{message: m}} = Thinking.enable(topk, 2048)
      assert m =~ "top_k"
      assert {:ok, req} = Thinking.enable(topk, 2048, drop_sampling: true)
      refute Map.has_key?(req.additional_model_request_fields, "top_k")
      refute Map.has_key?(req, "additionalModelRequestFields")
    end

    test "camelCase and string keys are understood" do
      req = %{"inferenceConfig" => %{"maxTokens" => 3000}, "messages" => []}
      assert {:ok, req} = Thinking.enable(req, 1024)
      assert Thinking.budget(req) == 1024
    end

    test "filler and reasoning blocks" do
      assert Thinking.filler() == "Let me think about that for a moment..."
      content = [%{reasoning_content: %{text: "t", signature: "s"}}, %{text: "a"}]
      assert Thinking.reasoning_blocks(content) == [hd(content)]
    end
  end

  describe "PromptCache" do
    @long String.duplicate("You are a helpful agent. ", 400)

    test "adds cache points after tools, system and stable history when the prefix is long enough" do
      req = %{
        model_id: "m",
        system: [%{text: @long}],
        tool_config: %{
          tools: [%{tool_spec: %{name: "a", description: "d", input_schema: %{json: %{}}}}]
        },
        messages: [
          %{role: :user, content: "Hi"},
          %{role: :assistant, content: [%{text: "Hello"}]},
          %{role: :user, content: "Bye"}
        ]
      }

      assert {:ok, cached} = PromptCache.add_cache_points(req, supported: true, min_tokens: 1024)
      assert List.last(cached.system) == %{cache_point: %{type: "default"}}
      # The tool list alone is far below the minimum.
      assert length(cached.tool_config.tools) == 1

      assert Enum.at(cached.messages, 1).content == [
               %{text: "Hello"},
               %{cache_point: %{type: "default"}}
             ]

      assert List.last(cached.messages) == %{role: :user, content: "Bye"}

      assert {:ok, one_hour} =
               PromptCache.add_cache_points(req,
                 supported: true,
                 min_tokens: 1024,
                 ttl: "1h",
                 history: false
               )

      assert List.last(one_hour.system) == %{cache_point: %{type: "default", ttl: "1h"}}
      assert one_hour.messages == req.messages

      # Idempotent: existing points are not doubled.
      assert {:ok, ^cached} =
               PromptCache.add_cache_points(cached, supported: true, min_tokens: 1024)
    end

    test "leaves short prompts and unsupported models alone" do
      req = %{
        model_id: "m",
        system: [%{text: "short"}],
        messages: [%{role: :user, content: "Hi"}]
      }

      assert {:ok, ^req} = PromptCache.add_cache_points(req, supported: true, min_tokens: 1024)
      long = %{req | system: [%{text: @long}]}
      assert {:ok, ^long} = PromptCache.add_cache_points(long, supported: false)
      # Unknown model: the catalog says no caching.
      unknown = %{long | model_id: "no-such-model"}
      assert {:ok, ^unknown} = PromptCache.add_cache_points(unknown)
      assert_raise ArgumentError, ~r/:ttl/, fn -> PromptCache.add_cache_points(req, ttl: "2h") end
    end

    test "estimate_tokens/1 is ~chars/4" do
      assert PromptCache.estimate_tokens(String.duplicate("a", 400)) == 100
    end
  end

  describe "VoicePrompts" do
    test "design prompts with voice guidelines and custom instructions last" do
      p = VoicePrompts.prompt(:customer_service, instructions: "The caller is Ana.")
      assert p =~ "You are a professional customer service voice assistant."
      assert p =~ "VOICE INTERACTION GUIDELINES:"
      assert String.ends_with?(p, "ADDITIONAL INSTRUCTIONS:\nThe caller is Ana.")
      assert VoicePrompts.prompt(:technical_support) =~ "TROUBLESHOOTING APPROACH:"
      assert VoicePrompts.prompt(:sales_assistant) =~ "consultative sales assistant"

      assert VoicePrompts.prompt(:custom, base: "You are Bob.", guidelines: false) ==
               "You are Bob."

      assert_raise ArgumentError, ~r/unknown agent type/, fn -> VoicePrompts.prompt(:pirate) end

      assert [%{text: _}, %{cache_point: %{type: "default", ttl: "1h"}}] =
               VoicePrompts.system(:sales_assistant, cache_point: "1h")
    end

    test "response length follows the design's rules (via the text pipeline)" do
      assert VoicePrompts.response_length("Can you explain my bill in detail?") == 300
      assert VoicePrompts.response_length("Just a quick question about hours") == 75

      assert VoicePrompts.response_length("My router is down", %{agent_type: :technical_support}) ==
               225

      assert VoicePrompts.response_length("What is my balance?") == 150
    end

    test "the thinking heuristic comes from the text pipeline" do
      hard =
        "Can you troubleshoot why my router keeps dropping the connection every evening " <>
          "after the firmware update, and explain step by step what to check?"

      assert Thinking.should_use?(hard, %{agent_type: :technical_support})
      refute Thinking.should_use?("What time do you open?")
    end

    test "catalog facts: thinking and caching support" do
      assert Thinking.supported?("anthropic.claude-sonnet-4-6")
      assert Thinking.supported?("us.anthropic.claude-haiku-4-5-20251001-v1:0")
      # Adaptive-only models take no budget; Nova has no Anthropic thinking.
      refute Thinking.supported?("us.anthropic.claude-opus-4-7")
      refute Thinking.supported?("amazon.nova-lite-v1:0")
      refute Thinking.supported?("no-such-model")

      assert %{prompt_caching: true, min_cache_tokens: 4096} =
               PromptCache.capabilities("anthropic.claude-haiku-4-5-20251001-v1:0")

      assert %{prompt_caching: true, min_cache_tokens: 1024} =
               PromptCache.capabilities("anthropic.claude-sonnet-4-6")

      assert %{prompt_caching: false} = PromptCache.capabilities("no-such-model")
    end

    test "TTS voice per agent type" do
      assert VoicePrompts.tts_voice(:technical_support) == "aura-perseus-en"
      assert VoicePrompts.tts_voice(:sales_assistant) == "aura-luna-en"
      assert VoicePrompts.tts_voice(:customer_service) == "aura-asteria-en"
      assert VoicePrompts.tts_voice(:other) == "aura-stella-en"
    end
  end
end
