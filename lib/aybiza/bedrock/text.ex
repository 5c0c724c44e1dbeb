defmodule Aybiza.Bedrock.Text do
  @moduledoc """
  The voice text pipeline: streaming sentence segmentation for text-to-speech, speech
  normalization, and the query heuristics of the design (complexity score, tool intent,
  extended thinking, response length). All work is done natively (`aybiza_core::text`).

  ## Streaming sentences

      seg = Aybiza.Bedrock.Text.new_segmenter()
      Aybiza.Bedrock.Text.push(seg, "Dr. Smith paid $3.")   #=> []
      Aybiza.Bedrock.Text.push(seg, "50 today. Th")         #=> ["Dr. Smith paid $3.50 today."]
      Aybiza.Bedrock.Text.finish(seg)                       #=> ["Th"]

  A sentence is released as soon as its end is certain, usually when the first
  non-space character after it arrives (a word after an ambiguous abbreviation such as
  `U.S.`). Deltas may be cut anywhere, even inside a UTF-8 character: the sentences are
  always those of `split_sentences/2` on the whole text. Released sentences are trimmed;
  whitespace inside them is kept. See `docs/TEXT.md` for the rules.

  ## Sentence mode and the voice preset

  The defaults are *sentence mode*: every sentence leaves whole and as written. `:voice`
  (`new_segmenter(:voice)`, `sentences: :voice`, the default of `Aybiza.AWS.BedrockClient`) is
  the preset for text-to-speech: `first_chunk_min_chars: 20` (the first clause of the stream
  leaves early, at its first clause boundary after 20 characters, so speech starts sooner),
  `max_chars: 250` (a longer sentence is cut at a clause boundary) and `speech: true`, so
  every released piece is normalized for speech (markdown emphasis, bullets, code ticks,
  headings and links removed, acronyms and their plurals spelled):
  `"**Sure!**"` arrives as `"Sure!"`, `"- item one"` as `"item one"`, ``"Here is the `API`
  key:"`` as `"Here is the A-P-I key:"`.

  ## Segmenter options (defaults)

    * `:min_chars` (`20`) - with `:merge_short`, sentences shorter than this are joined
      (with one space) to the next ones until the unit is at least this long.
    * `:merge_short` (`false`) - merge short sentences ("Sure.") with the next one instead of
      releasing them alone.
    * `:max_chars` (`0`: no cut) - a longer sentence is cut at its last clause boundary
      (comma, semicolon, colon, dash followed by a space), else at a space.
    * `:first_chunk_min_chars` (`nil`) - when an integer, the first clause of the stream is
      released early, at the first clause boundary after this many characters.
    * `:skip_code_blocks` (`true`) - fenced code blocks are never released; when `false`,
      a block is released as one piece.
    * `:newline_boundaries` (`true`) - a line break always ends the current unit.
    * `:speech` (`false`) - `true` (the speech options' defaults) or speech options (below):
      normalize every released piece for speech; a piece left empty is dropped.

  Length options are integers in `0..1_000_000`; anything else (a float, `2 ** 70`, a negative
  number) raises `ArgumentError` naming the option.

  `push/2`, `push_many/2` and `finish/1` run small work (up to 16 KB of delta plus held
  text, with at most 64 end marks (`.`, `!`, `?`, counting those of text held unscanned since
  the last piece) and 2,048 line breaks or non-ASCII characters in the new text) on the
  calling scheduler and larger work on
  a dirty CPU scheduler; the whole-text functions always run on
  a dirty CPU scheduler. No call holds a normal scheduler for more than a fraction of a
  millisecond, whatever the input size.

  ## Speech options (defaults)

    * `:acronyms` (`%{"URL" => "U-R-L", "API" => "A-P-I", "ID" => "I-D", "FAQ" => "F-A-Q"}`) -
      whole, case-sensitive words to replace; a list of words spells each letter by letter.
    * `:strip_markdown` (`true`), `:drop_code_blocks` (`true`), `:drop_emoji` (`false`).
  """

  alias Aybiza.Native

  @typedoc "A streaming segmenter (a native resource; safe to share, pushes are serialized)."
  @type segmenter :: reference()

  @typedoc "Context of a query: a map or keyword list; see `assess_query_complexity/2`."
  @type context :: map() | keyword()

  @segmenter_defaults [
    min_chars: 20,
    merge_short: false,
    max_chars: 0,
    first_chunk_min_chars: nil,
    skip_code_blocks: true,
    newline_boundaries: true,
    speech: false
  ]

  # The voice preset: what `sentences: :voice` (BedrockClient's default) means.
  # `first_chunk_min_chars` is the Rust `VOICE_FIRST_CHUNK_MIN_CHARS`.
  @voice_preset [max_chars: 250, first_chunk_min_chars: 20, speech: true]

  # Largest length option (characters), the same bound as the NIF's `MAX_LENGTH_OPTION`.
  @max_length_option 1_000_000

  @speech_defaults [
    acronyms: nil,
    strip_markdown: true,
    drop_code_blocks: true,
    drop_emoji: false
  ]

  @doc """
  Creates a streaming segmenter. Options and defaults are in the module documentation;
  an unknown option or a bad value raises `ArgumentError` naming the option.
  """
  @spec new_segmenter(keyword() | :voice | :sentence) :: segmenter()
  def new_segmenter(opts \\ []) do
    Native.segmenter_new(segmenter_options(opts))
  end

  @doc """
  Adds a delta (any binary, possibly ending inside a UTF-8 character) and returns the
  sentences whose end became certain, in order.
  """
  @spec push(segmenter(), binary()) :: [String.t()]
  def push(segmenter, delta) when is_binary(delta) do
    # Small work runs on the calling scheduler; a large delta (or held text, many periods,
    # or a segmenter busy in another process) is answered `:dirty` and redone on a dirty CPU scheduler, so
    # no call blocks a normal scheduler whatever its size.
    case Native.segmenter_push(segmenter, delta) do
      :dirty -> Native.segmenter_push_dirty(segmenter, delta)
      sentences -> sentences
    end
  end

  @doc """
  Adds several deltas in order with one native call: returns exactly what `push/2` of each
  delta would return, concatenated. For a receiver that drains several deltas from its
  mailbox at once (tiny deltas cost mostly the call, not the segmenting). `deltas` must be a
  proper list of binaries, else `ArgumentError`.
  """
  @spec push_many(segmenter(), [binary()]) :: [String.t()]
  def push_many(segmenter, deltas) when is_list(deltas) do
    case Native.segmenter_push_many(segmenter, deltas) do
      :dirty -> Native.segmenter_push_many_dirty(segmenter, deltas)
      sentences -> sentences
    end
  end

  @doc """
  Ends the stream: returns the pieces still held (zero or more). The segmenter is reset and
  may be reused for a new stream.
  """
  @spec finish(segmenter()) :: [String.t()]
  def finish(segmenter) do
    case Native.segmenter_finish(segmenter) do
      :dirty -> Native.segmenter_finish_dirty(segmenter)
      sentences -> sentences
    end
  end

  @doc """
  Splits a whole text into sentences: exactly what `push/2` of the whole text followed by
  `finish/1` returns. Takes the segmenter options.
  """
  @spec split_sentences(String.t(), keyword() | :voice | :sentence) :: [String.t()]
  def split_sentences(text, opts \\ []) when is_binary(text) do
    Native.split_sentences(text, segmenter_options(opts))
  end

  @doc """
  Normalizes text for speech: drops code blocks and markdown syntax (keeping link text and
  inline code), optionally emoji, collapses whitespace, and spells acronyms (`API` becomes
  `A-P-I`).
  """
  @spec optimize_text_for_speech(String.t(), keyword()) :: String.t()
  def optimize_text_for_speech(text, opts \\ []) when is_binary(text) do
    Native.optimize_text_for_speech(text, speech_options(opts))
  end

  @doc """
  The design's complexity score in `0.0..1.0`:
  `min(words / 50, 1) * 0.3 + (matching pattern groups / 4) * 0.5 + context factor`, where the
  context factor is 0.3 when `:conversation_history` has more than 5 entries, else 0.4 when
  `:requires_tools` is truthy, else 0.2 when `:multi_turn` is truthy; capped at 1.0.
  """
  @spec assess_query_complexity(String.t(), context()) :: float()
  def assess_query_complexity(query, context \\ %{}) when is_binary(query) do
    Native.assess_query_complexity(query, query_context(context))
  end

  @doc "Whether the query asks for an action a tool would perform (look up, book, send...)."
  @spec detect_tool_intent(String.t()) :: boolean()
  def detect_tool_intent(query) when is_binary(query), do: Native.detect_tool_intent(query)

  @doc """
  The design's extended-thinking heuristic: a thinking pattern (analyze, troubleshoot,
  compare...) matches, and the query is longer than 100 characters or `:agent_type` is
  `:technical_support`, or the history has more than 3 entries and the query is longer than
  50 characters.
  """
  @spec should_use_extended_thinking?(String.t(), context()) :: boolean()
  def should_use_extended_thinking?(query, context \\ %{}) when is_binary(query) do
    Native.should_use_extended_thinking(query, query_context(context))
  end

  @doc """
  The design's spoken response length in words (50..300): 300 for "explain", "detail",
  "walk me through"; 75 for "quick", "fast", "briefly"; 225 for technical support; else 150.
  """
  @spec determine_response_length(String.t(), context()) :: pos_integer()
  def determine_response_length(query, context \\ %{}) when is_binary(query) do
    Native.determine_response_length(query, query_context(context))
  end

  # --- option validation ---

  @doc false
  # Shared with `Aybiza.Bedrock.stream/2`'s `:sentences` option.
  @spec segmenter_options(keyword() | :voice | :sentence) :: map()
  def segmenter_options(:voice), do: segmenter_options(@voice_preset)
  def segmenter_options(:sentence), do: segmenter_options([])

  def segmenter_options(opts) when is_list(opts) do
    opts = Keyword.validate!(opts, @segmenter_defaults)

    for {key, value} <- opts do
      case key do
        k when k in [:min_chars, :max_chars] ->
          check(key, value, length_option?(value), "an integer in 0..#{@max_length_option}")

        :first_chunk_min_chars ->
          check(
            key,
            value,
            is_nil(value) or length_option?(value),
            "nil or an integer in 0..#{@max_length_option}"
          )

        :speech ->
          check(key, value, is_boolean(value) or is_list(value), "a boolean or speech options")

        _ ->
          check(key, value, is_boolean(value), "a boolean")
      end
    end

    opts
    |> Map.new()
    |> Map.update!(:speech, fn
      speech when is_list(speech) -> speech_options(speech)
      speech -> speech
    end)
  end

  def segmenter_options(other) do
    raise ArgumentError,
          "expected segmenter options as a keyword list, :voice or :sentence, got: " <>
            inspect(other)
  end

  defp speech_options(opts) do
    opts = Keyword.validate!(opts, @speech_defaults)

    for {key, value} <- opts do
      case key do
        :acronyms ->
          check(key, value, valid_acronyms?(value), "nil, a map of strings or a list of strings")

        _ ->
          check(key, value, is_boolean(value), "a boolean")
      end
    end

    opts |> Enum.reject(fn {_k, v} -> is_nil(v) end) |> Map.new()
  end

  defp length_option?(value), do: is_integer(value) and value in 0..@max_length_option

  defp valid_acronyms?(nil), do: true

  defp valid_acronyms?(map) when is_map(map),
    do: Enum.all?(map, fn {k, v} -> is_binary(k) and is_binary(v) end)

  defp valid_acronyms?(list) when is_list(list), do: Enum.all?(list, &is_binary/1)
  defp valid_acronyms?(_), do: false

  defp check(_key, _value, true, _expected), do: :ok

  defp check(key, value, false, expected) do
    raise ArgumentError,
          "invalid value for #{inspect(key)} option: #{inspect(value)} (expected #{expected})"
  end

  # Only the fields the heuristics read cross into native code, in plain form.
  defp query_context(context) when is_list(context), do: query_context(Map.new(context))

  defp query_context(context) when is_map(context) do
    history = get(context, :conversation_history)

    %{
      conversation_history_len: if(is_list(history), do: length(history), else: 0),
      requires_tools: truthy?(get(context, :requires_tools)),
      multi_turn: truthy?(get(context, :multi_turn)),
      agent_type: agent_type(get(context, :agent_type))
    }
  end

  defp query_context(other) do
    raise ArgumentError,
          "expected the context to be a map or keyword list, got: #{Aybiza.Bedrock.Options.shown(other)}"
  end

  defp get(map, key), do: Map.get(map, key, Map.get(map, Atom.to_string(key)))

  defp truthy?(value), do: value not in [nil, false]

  defp agent_type(nil), do: nil
  defp agent_type(type) when is_atom(type), do: Atom.to_string(type)
  defp agent_type(type) when is_binary(type), do: type
  defp agent_type(_), do: nil
end
