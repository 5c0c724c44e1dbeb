defmodule Aybiza.Bedrock.Turn.Memory do
  @moduledoc """
  Steps 3 and 8 of a turn (see `Aybiza.Bedrock.Turn`): `memory: call_id` of
  `Aybiza.AWS.BedrockClient.generate_response/3`. Before the request is built, the call's
  window from `Aybiza.Bedrock.ConversationMemory` goes before the context's history (an id
  with no memory has none: a new conversation); when the turn completes, the caller's words,
  the tool exchange and the answer are appended. A failed or cancelled turn appends nothing.

  ## Attachments

  By default the memory keeps the caller's words, not the turn's `context.attachments`
  (images and documents): each one can be megabytes, held by the call's memory process (and
  its Mnesia copies in a cluster); every later turn would send it again and pay its input
  tokens again; and Bedrock caps a request at 20 images and 5 documents, which a growing
  window would pass. The answer the model gave about an attachment is remembered, so the
  conversation keeps what was said about it.

  With `memory_opts: [keep_attachments: true]` the turn's attachments are remembered with
  its words (before them, as sent). When the window is read, the newest attachments are
  kept up to Bedrock's caps (this turn's own attachments counted first); older ones are
  replaced by a short text note (`"[an image the caller sent earlier]"`,
  `"[a document the caller sent earlier: NAME]"`), so a request never passes the caps.
  """

  alias Aybiza.Bedrock.{ConversationMemory, Media}

  @doc """
  `context` with the call's remembered window before its `:conversation_history`.
  `opts`: `:keep_attachments` (see "Attachments") and the options of
  `ConversationMemory.build_messages_with_memory/3` (`:memory`, `:last_n`, `:since`,
  `:max_input_tokens`, `:summary`, `:count_tokens`); a bad one raises `ArgumentError` in the
  caller, before any network.
  """
  @spec window_into(map(), term(), keyword()) :: map()
  def window_into(context, call_id, opts) do
    {keep?, opts} = keep_attachments(opts)
    window = ConversationMemory.build_messages_with_memory(call_id, nil, opts)
    window = if keep?, do: cap_media(window, context[:attachments]), else: window
    Map.put(context, :conversation_history, window ++ List.wrap(context[:conversation_history]))
  end

  @doc """
  The user message the turn remembers: the caller's words, with the turn's attachments
  before them when `opts` has `keep_attachments: true`.
  """
  @spec user_message(String.t(), map(), keyword()) :: map()
  def user_message(prompt, context, opts) do
    {keep?, _opts} = keep_attachments(opts)
    attachments = if keep?, do: List.wrap(context[:attachments]), else: []
    %{role: :user, content: attachments ++ [%{text: prompt}]}
  end

  @doc """
  Appends the turn's messages to the call's memory. Never fails the turn: the answer was
  spoken already, so a memory that cannot be written is left as it was.
  """
  @spec remember(term(), [map()], keyword()) :: :ok
  def remember(call_id, messages, opts) do
    _ = ConversationMemory.remember_all(call_id, messages, Keyword.take(opts, [:memory]))
    :ok
  catch
    :exit, _ -> :ok
  end

  defp keep_attachments(opts) do
    case Keyword.pop(opts, :keep_attachments, false) do
      {keep?, opts} when is_boolean(keep?) ->
        {keep?, opts}

      {other, _opts} ->
        raise ArgumentError,
              "memory option :keep_attachments must be a boolean, got: #{Aybiza.Bedrock.Options.shown(other)}"
    end
  end

  # Newest first: this turn's attachments, then the window from its last message back.
  defp cap_media(window, attachments) do
    %{max_images: max_images, max_documents: max_documents} = Media.limits()
    current = List.wrap(attachments)

    budget = %{
      image: max_images - Enum.count(current, &media?(&1, :image)),
      document: max_documents - Enum.count(current, &media?(&1, :document))
    }

    {reversed, _budget} =
      window
      |> Enum.reverse()
      |> Enum.map_reduce(budget, fn message, budget ->
        case message do
          %{content: blocks} when is_list(blocks) ->
            {blocks, budget} = blocks |> Enum.reverse() |> Enum.map_reduce(budget, &cap_block/2)

            {%{message | content: Enum.reverse(blocks)}, budget}

          other ->
            {other, budget}
        end
      end)

    Enum.reverse(reversed)
  end

  defp cap_block(block, budget) do
    kind =
      cond do
        media?(block, :image) -> :image
        media?(block, :document) -> :document
        true -> nil
      end

    cond do
      kind == nil -> {block, budget}
      budget[kind] > 0 -> {block, Map.update!(budget, kind, &(&1 - 1))}
      true -> {%{text: note(kind, block)}, budget}
    end
  end

  defp media?(block, kind) when is_map(block),
    do: Map.has_key?(block, kind) or Map.has_key?(block, Atom.to_string(kind))

  defp media?(_block, _kind), do: false

  defp note(:image, _block), do: "[an image the caller sent earlier]"

  defp note(:document, block) do
    document = block[:document] || block["document"]
    name = is_map(document) && (document[:name] || document["name"])

    if is_binary(name),
      do: "[a document the caller sent earlier: #{name}]",
      else: "[a document the caller sent earlier]"
  end
end
