defmodule Aybiza.Bedrock.VoicePrompts do
  @moduledoc """
  The system prompts of our design for voice agents: customer service, technical support
  and sales assistant, each followed by the voice interaction guidelines and any custom
  instructions; the TTS voice per agent type; and the response length rules.

      system = Aybiza.Bedrock.VoicePrompts.system(:customer_service,
                 instructions: "The caller's name is Ana.", cache_point: true)
      request = %{model_id: id, system: system, messages: messages}
  """

  @prompts %{
    customer_service: """
    You are a professional customer service voice assistant.

    VOICE GUIDELINES:
    - Keep responses under 40 words for quick delivery
    - Use warm, professional tone suitable for phone conversations
    - Acknowledge customer concerns before providing solutions
    - Ask one clarifying question at a time
    - Confirm understanding before taking action

    RESPONSE FORMAT:
    - Start with acknowledgment ("I understand..." or "I see...")
    - Provide clear, actionable next steps
    - End with specific question or confirmation
    - Use natural speech patterns with contractions
    """,
    technical_support: """
    You are a knowledgeable technical support specialist.

    TECHNICAL COMMUNICATION:
    - Explain complex concepts in simple terms
    - Break down solutions into clear steps
    - Confirm understanding after each major point
    - Use analogies to clarify technical concepts

    TROUBLESHOOTING APPROACH:
    - Start with most common solutions
    - Ask diagnostic questions systematically
    - Provide step-by-step guidance
    - Offer alternatives if initial solution fails
    """,
    sales_assistant: """
    You are a consultative sales assistant focused on understanding needs.

    SALES APPROACH:
    - Listen actively to identify customer needs
    - Ask qualifying questions to understand requirements
    - Focus on benefits and value, not just features
    - Be helpful and consultative, not pushy

    CONVERSATION STYLE:
    - Build rapport through active listening
    - Match customer's pace and communication style
    - Use enthusiasm appropriately
    - Always provide clear next steps
    """
  }

  @voice_guidelines """
  VOICE INTERACTION GUIDELINES:
  - Keep responses under 50 words for quick delivery
  - Use natural, conversational language suitable for speech
  - Avoid complex punctuation that sounds awkward when spoken
  - End responses with clear closure or a specific question
  - Use contractions for natural speech flow (don't, can't, I'll)
  """

  @voices %{
    technical_support: "aura-perseus-en",
    sales_assistant: "aura-luna-en",
    customer_service: "aura-asteria-en"
  }

  @default_voice "aura-stella-en"

  @type agent_type :: :customer_service | :technical_support | :sales_assistant

  @doc "The agent types with a built-in prompt."
  @spec agent_types() :: [agent_type()]
  def agent_types, do: [:customer_service, :technical_support, :sales_assistant]

  @doc "The voice interaction guidelines appended to every prompt."
  @spec voice_guidelines() :: String.t()
  def voice_guidelines, do: @voice_guidelines

  @doc """
  The system prompt text for `agent_type`: the base prompt, the voice guidelines, then
  `:instructions` (custom instructions, appended last so they win). Raises
  `ArgumentError` for an unknown agent type; pass `:base` to use your own base prompt.
  """
  @spec prompt(agent_type() | atom(), keyword()) :: String.t()
  def prompt(agent_type, opts \\ []) do
    opts =
      Keyword.validate!(opts, instructions: nil, base: nil, guidelines: true, cache_point: false)

    base =
      opts[:base] ||
        Map.get(@prompts, agent_type) ||
        raise ArgumentError,
              "unknown agent type #{inspect(agent_type)}; expected one of #{inspect(agent_types())} or pass :base"

    for key <- [:instructions, :base], opts[key] != nil and not is_binary(opts[key]) do
      raise ArgumentError,
            "#{inspect(key)} must be a string, got: #{Aybiza.Bedrock.Options.shown(opts[key])}"
    end

    [
      String.trim_trailing(base),
      if(opts[:guidelines], do: String.trim_trailing(@voice_guidelines)),
      if(opts[:instructions], do: "ADDITIONAL INSTRUCTIONS:\n" <> String.trim(opts[:instructions]))
    ]
    |> Enum.reject(&is_nil/1)
    |> Enum.join("\n\n")
  end

  @doc """
  The Converse `system` blocks for `agent_type` (see `prompt/2`). With `cache_point: true`
  (or `"1h"`) a cache point follows the prompt; use `Aybiza.Bedrock.PromptCache` to add
  it only when the model supports caching and the prompt is long enough.
  """
  @spec system(agent_type() | atom(), keyword()) :: [map()]
  def system(agent_type, opts \\ []) do
    {cache, opts} = Keyword.pop(opts, :cache_point, false)
    text = [%{text: prompt(agent_type, opts)}]

    case cache do
      false ->
        text

      true ->
        text ++ [Aybiza.Bedrock.PromptCache.cache_point("5m")]

      ttl when ttl in ["5m", "1h"] ->
        text ++ [Aybiza.Bedrock.PromptCache.cache_point(ttl)]

      other ->
        raise ArgumentError,
              ":cache_point must be a boolean, \"5m\" or \"1h\", got: #{Aybiza.Bedrock.Options.shown(other)}"
    end
  end

  @doc """
  The TTS voice for an agent type (our design): technical support "aura-perseus-en",
  sales "aura-luna-en", customer service "aura-asteria-en", others "aura-stella-en".
  """
  @spec tts_voice(atom()) :: String.t()
  def tts_voice(agent_type), do: Map.get(@voices, agent_type, @default_voice)

  @doc """
  The target response length in words for a transcript, by our design's rules (explain /
  detail -> longer, quick / briefly -> shorter, technical support x1.5; clamped to 50..300).
  Delegates to `Aybiza.Bedrock.Text.determine_response_length/2`.
  """
  @spec response_length(String.t(), map()) :: pos_integer()
  def response_length(transcript, context \\ %{})
      when is_binary(transcript) and is_map(context) do
    Aybiza.Bedrock.Text.determine_response_length(transcript, context)
  end
end
