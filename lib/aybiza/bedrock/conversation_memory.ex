defmodule Aybiza.Bedrock.ConversationMemory do
  @moduledoc """
  What the agent remembers of a call: one process per call id (under
  `Aybiza.Bedrock.ConversationMemory.Supervisor`, found through a `Registry`), holding a
  sliding window of the last 50 messages, a summary and metadata, written through to a
  store (`EtsStore` by default, `MnesiaStore` to survive node restarts). A call's memory
  is dropped after an hour without use.

      :ok = ConversationMemory.remember(call_id, %{role: :user, content: "Hi, it's Ana."})
      messages = ConversationMemory.build_messages_with_memory(call_id, "Is my order late?")
      {:ok, result} = ToolLoop.run(%{model_id: id, messages: messages}, tools)
      :ok = ConversationMemory.remember_all(call_id, result.new_messages)

  Messages are Converse messages: `%{role: :user | :assistant, content: text | blocks}`
  (string keys accepted), optionally with `:metadata`. `build_messages_with_memory/3`
  always returns a valid Converse message list: roles alternate starting with a user turn
  (consecutive same-role messages are merged) and tool uses are never separated from
  their results when history is trimmed.

  Every function takes `memory: name` to address a memory instance other than the
  default (see the supervisor's `:name`).

  Bounds (see `Aybiza.Bedrock.ConversationMemory.Supervisor`): at most `:max_calls` calls
  are held at once (default 100,000; a write for a new call id past it answers
  `{:error, %Aybiza.Error{reason: :overloaded}}`), one call holds at most `:max_call_bytes`
  (default 16 MiB; older messages are dropped, a larger single message, summary or metadata
  is `:invalid_request`), and a call id is at most 1024 bytes in the external term format
  (`ArgumentError` otherwise).
  """
  use GenServer, restart: :transient

  alias Aybiza.Error
  alias Aybiza.Bedrock.ConversationMemory.Supervisor, as: MemorySupervisor
  import Aybiza.Bedrock.Thinking, only: [get: 3]

  @type call_id :: term()
  @type message :: %{
          required(:role) => :user | :assistant,
          required(:content) => [map()],
          optional(atom()) => term()
        }
  @type entry :: %{
          role: :user | :assistant,
          content: [map()],
          timestamp: DateTime.t(),
          metadata: map()
        }
  @type context :: %{history: [entry()], summary: String.t() | nil, metadata: map()}

  # --- names -------------------------------------------------------------------------

  @doc false
  @spec registry(atom()) :: atom()
  def registry(name), do: Module.concat(name, Registry)

  @doc false
  @spec calls_supervisor(atom()) :: atom()
  def calls_supervisor(name), do: Module.concat(name, Calls)

  defp via(name, call_id), do: {:via, Registry, {registry(name), call_id}}

  defp memory_name(opts) do
    name = Keyword.get(opts, :memory, __MODULE__)

    unless is_atom(name),
      do:
        raise(
          ArgumentError,
          ":memory must be an atom, got: #{Aybiza.Bedrock.Options.shown(name)}"
        )

    name
  end

  defp config(name) do
    case Registry.meta(registry(name), :config) do
      {:ok, config} -> config
      :error -> raise ArgumentError, "conversation memory #{inspect(name)} has no config"
    end
  rescue
    ArgumentError ->
      reraise ArgumentError,
              [
                message:
                  "conversation memory #{inspect(name)} is not running; start " <>
                    "#{inspect(MemorySupervisor)} (the application does) or pass memory: name"
              ],
              __STACKTRACE__
  end

  # --- API ---------------------------------------------------------------------------

  @doc """
  Adds a message to the call's memory (starting the call's process when needed). Returns
  `{:error, %Aybiza.Error{reason: :invalid_request}}` for a malformed message.
  """
  @spec remember(call_id(), map(), keyword()) :: :ok | {:error, Error.t()}
  def remember(call_id, message, opts \\ []), do: remember_all(call_id, [message], opts)

  @doc "Adds messages in order (e.g. a tool loop's `new_messages`)."
  @spec remember_all(call_id(), [map()], keyword()) :: :ok | {:error, Error.t()}
  def remember_all(call_id, messages, opts \\ []) when is_list(messages) do
    opts = Keyword.validate!(opts, [:memory])
    name = memory_name(opts)

    with {:ok, entries} <- to_entries(messages) do
      call(name, call_id, {:add, entries}, true)
    end
  end

  @doc """
  The call's memory: `%{history: entries, summary: s, metadata: map}`, history oldest
  first. Options: `:last_n` (the last n messages), `:since` (messages after a
  `DateTime`). A call without memory gives an empty history.
  """
  @spec get_context(call_id(), keyword()) :: context()
  def get_context(call_id, opts \\ []) do
    opts = Keyword.validate!(opts, [:memory, :last_n, :since])
    name = memory_name(opts)

    case opts[:last_n] do
      nil ->
        :ok

      n when is_integer(n) and n >= 0 ->
        :ok

      other ->
        raise ArgumentError,
              ":last_n must be a non-negative integer, got: #{Aybiza.Bedrock.Options.shown(other)}"
    end

    case opts[:since] do
      nil ->
        :ok

      %DateTime{} ->
        :ok

      other ->
        raise ArgumentError,
              ":since must be a DateTime, got: #{Aybiza.Bedrock.Options.shown(other)}"
    end

    case call(name, call_id, :get, false) do
      :not_found -> %{history: [], summary: nil, metadata: %{}}
      # A stored call that cannot be loaded now (the memory is full) reads as empty.
      {:error, %Error{}} -> %{history: [], summary: nil, metadata: %{}}
      context -> %{context | history: filter(context.history, opts)}
    end
  end

  defp filter(history, opts) do
    history =
      case opts[:since] do
        nil -> history
        since -> Enum.filter(history, &(DateTime.compare(&1.timestamp, since) == :gt))
      end

    case opts[:last_n] do
      nil -> history
      n -> Enum.take(history, -n)
    end
  end

  @doc "Sets the call's summary (e.g. a model-written digest of older turns)."
  @spec put_summary(call_id(), String.t() | nil, keyword()) :: :ok | {:error, Error.t()}
  def put_summary(call_id, summary, opts \\ []) when is_binary(summary) or is_nil(summary) do
    opts = Keyword.validate!(opts, [:memory])
    call(memory_name(opts), call_id, {:put, :summary, summary}, true)
  end

  @doc "Merges `metadata` into the call's metadata."
  @spec put_metadata(call_id(), map(), keyword()) :: :ok | {:error, Error.t()}
  def put_metadata(call_id, metadata, opts \\ []) when is_map(metadata) do
    opts = Keyword.validate!(opts, [:memory])
    call(memory_name(opts), call_id, {:merge_metadata, metadata}, true)
  end

  @doc "Drops the call's memory (process and stored state)."
  @spec forget(call_id(), keyword()) :: :ok
  def forget(call_id, opts \\ []) do
    opts = Keyword.validate!(opts, [:memory])
    name = memory_name(opts)

    case Registry.lookup(registry(name), call_id) do
      [{pid, _}] -> GenServer.call(pid, :forget)
      [] -> config(name).store.delete(call_id)
    end

    :ok
  catch
    :exit, _ -> :ok
  end

  @doc "The pid of the call's memory process, or `nil`."
  @spec whereis(call_id(), keyword()) :: pid() | nil
  def whereis(call_id, opts \\ []) do
    opts = Keyword.validate!(opts, [:memory])

    case Registry.lookup(registry(memory_name(opts)), call_id) do
      [{pid, _}] -> pid
      [] -> nil
    end
  end

  @doc """
  The call's history as Converse messages followed by `prompt` (a string, a message map,
  a list of content blocks, or `nil` for none), normalized (see `normalize_messages/1`).

  Options: `:last_n` and `:since` as for `get_context/2` (trimming never splits a tool use
  from its result), `:summary` (`true`: start with the stored summary as context text).

  Token budget: `:max_input_tokens` keeps the most recent history whose messages (with the
  summary and the prompt) fit in that many input tokens, dropping the oldest first (the
  prompt is always kept). Tokens are estimated with `Aybiza.Bedrock.Catalog.estimate_tokens/1`
  unless `:count_tokens` is a keyword list with `:model_id` (plus the client options and
  `:api` of `Aybiza.Bedrock.count_tokens/2`, and optionally `:system` and `:tool_config` of
  the request these messages go into): then Bedrock's CountTokens counts exactly, with a
  binary search over how much history to keep (about log2(n) + 1 requests). If counting
  fails, the estimate decides and a warning is logged.
  """
  @spec build_messages_with_memory(call_id(), String.t() | map() | [map()] | nil, keyword()) :: [
          message()
        ]
  def build_messages_with_memory(call_id, prompt, opts \\ []) do
    # Not Keyword.validate!/2: its error prints every option, and :count_tokens carries
    # client options (credentials). Those are sealed at once.
    opts =
      opts
      |> Aybiza.Bedrock.Options.validate!(
        [:memory, :last_n, :since, :max_input_tokens, summary: false, count_tokens: false],
        "Aybiza.Bedrock.ConversationMemory.build_messages_with_memory/3 option"
      )
      |> Keyword.update!(:count_tokens, &Aybiza.Bedrock.Config.seal_credentials/1)

    context = get_context(call_id, Keyword.take(opts, [:memory, :last_n, :since]))

    summary =
      case {opts[:summary], context.summary} do
        {true, s} when is_binary(s) and s != "" ->
          [%{role: :user, content: [%{text: "Summary of the conversation so far: " <> s}]}]

        _ ->
          []
      end

    history = Enum.map(context.history, &%{role: &1.role, content: &1.content})
    prompt = prompt_messages(prompt)

    case opts[:max_input_tokens] do
      nil ->
        normalize_messages(summary ++ history ++ prompt)

      max when is_integer(max) and max > 0 ->
        fit_tokens(summary, history, prompt, max, counter!(opts[:count_tokens]))

      other ->
        raise ArgumentError,
              ":max_input_tokens must be a positive integer, got: #{Aybiza.Bedrock.Options.shown(other)}"
    end
  end

  # --- token budget --------------------------------------------------------------------

  defp counter!(false), do: :estimate

  # Errors describe values by type only: :count_tokens holds client options.
  defp counter!(opts) when is_list(opts) and opts != [] do
    unless Keyword.keyword?(opts) do
      raise ArgumentError,
            ":count_tokens must be false or a keyword list with :model_id, got " <>
              Aybiza.Bedrock.Options.describe(opts)
    end

    case opts[:model_id] do
      id when is_binary(id) and id != "" ->
        {:exact, opts}

      other ->
        raise ArgumentError,
              ":count_tokens needs a :model_id, got #{Aybiza.Bedrock.Options.describe(other)}"
    end
  end

  defp counter!(other),
    do:
      raise(
        ArgumentError,
        ":count_tokens must be false or a keyword list with :model_id, got " <>
          Aybiza.Bedrock.Options.describe(other)
      )

  # Keeps history[drop..] for the smallest `drop` whose messages fit in `max` tokens. Fewer
  # messages never count more tokens, so a binary search finds it.
  defp fit_tokens(summary, history, prompt, max, counter) do
    candidate = fn drop -> normalize_messages(summary ++ Enum.drop(history, drop) ++ prompt) end
    fits? = fn drop -> count(candidate.(drop), counter) <= max end

    drop =
      try do
        search(fits?, 0, length(history))
      catch
        {:count_failed, error} ->
          require Logger

          Logger.warning(
            "conversation memory: CountTokens failed (#{Exception.message(error)}); trimming by estimate"
          )

          estimate_fits? = fn drop -> count(candidate.(drop), :estimate) <= max end
          search(estimate_fits?, 0, length(history))
      end

    candidate.(drop)
  end

  # The smallest n in lo..hi with fits?.(n), or hi (everything dropped) when none fits.
  defp search(_fits?, lo, hi) when lo >= hi, do: hi

  defp search(fits?, lo, hi) do
    if fits?.(lo) do
      lo
    else
      bisect(fits?, lo, hi)
    end
  end

  # fits?.(lo) is false; find the smallest fitting n in (lo, hi].
  defp bisect(_fits?, lo, hi) when hi - lo <= 1, do: hi

  defp bisect(fits?, lo, hi) do
    mid = div(lo + hi, 2)
    if fits?.(mid), do: bisect(fits?, lo, mid), else: bisect(fits?, mid, hi)
  end

  defp count([], _counter), do: 0

  defp count(messages, :estimate) do
    Enum.reduce(messages, 0, fn %{content: content}, acc ->
      acc + 4 + Enum.reduce(content, 0, &(&2 + block_tokens(&1)))
    end)
  end

  defp count(messages, {:exact, opts}) do
    {request_keys, client_opts} = Keyword.split(opts, [:model_id, :system, :tool_config])
    request = request_keys |> Map.new() |> Map.put(:messages, messages)

    case Aybiza.Bedrock.count_tokens(request, client_opts) do
      {:ok, n} -> n
      {:error, error} -> throw({:count_failed, error})
    end
  end

  defp block_tokens(block) when is_map(block) do
    case {get(block, :text, nil), get(block, :tool_use, nil), get(block, :tool_result, nil)} do
      {text, _, _} when is_binary(text) -> Aybiza.Bedrock.Catalog.estimate_tokens(text)
      {_, %{} = use, _} -> Aybiza.Bedrock.Catalog.estimate_tokens(inspect(get(use, :input, %{})))
      {_, _, %{} = result} -> Aybiza.Bedrock.Catalog.estimate_tokens(inspect(result))
      _ -> Aybiza.Bedrock.Catalog.estimate_tokens(inspect(block))
    end
  end

  defp block_tokens(_block), do: 0

  defp prompt_messages(nil), do: []
  defp prompt_messages(text) when is_binary(text), do: [%{role: :user, content: [%{text: text}]}]
  defp prompt_messages(blocks) when is_list(blocks), do: [%{role: :user, content: blocks}]
  defp prompt_messages(%{} = message), do: [message]

  # --- normalization -----------------------------------------------------------------

  @doc """
  Makes a message list valid for Converse:

    * `content: "text"` becomes `[%{text: "text"}]`, roles become atoms, empty messages go;
    * consecutive messages of the same role are merged (their blocks concatenated);
    * the list starts with a user message (leading assistant messages are dropped);
    * every tool result answers a tool use of the assistant message just before it, and
      every tool use gets its result in the next message: orphans on either side are
      removed (e.g. after trimming, or a call interrupted mid-tool).
  """
  @spec normalize_messages([map()]) :: [message()]
  def normalize_messages(messages) when is_list(messages) do
    messages
    |> Enum.map(&to_message/1)
    |> Enum.reject(&(&1.content == []))
    |> merge_roles()
    |> drop_leading_assistant()
    |> fix_pairs()
    |> Enum.reject(&(&1.content == []))
    |> merge_roles()
    |> drop_leading_assistant()
  end

  @doc """
  Merges consecutive messages of the same role into one (their content blocks
  concatenated, a string content becoming a text block), as Converse requires: two user
  utterances in a row (common after a barge-in) become one user turn. Messages that are
  not merged are returned unchanged; anything that is not a message with a known role is
  left for the request's validation. Every request the library builds goes through this.
  """
  @spec merge_same_roles(term()) :: term()
  def merge_same_roles(messages) when is_list(messages) do
    messages
    |> Enum.chunk_by(&role_of/1)
    |> Enum.flat_map(fn
      [single] ->
        [single]

      [first | _] = same ->
        case role_of(first) do
          nil -> same
          role -> [%{role: role, content: Enum.flat_map(same, &content_blocks/1)}]
        end
    end)
  end

  def merge_same_roles(other), do: other

  # nil for anything but a message map with a known role (so a malformed entry is never
  # merged away: validation reports it). A nil role chunks with its neighbours, which is
  # why a chunk whose first role is nil is returned as it is.
  defp role_of(%{} = message) do
    case get(message, :role, nil) do
      r when r in [:user, "user"] -> :user
      r when r in [:assistant, "assistant"] -> :assistant
      _ -> nil
    end
  end

  defp role_of(_other), do: nil

  defp content_blocks(message) do
    case get(message, :content, []) do
      text when is_binary(text) -> if text == "", do: [], else: [%{text: text}]
      list when is_list(list) -> list
      other -> [other]
    end
  end

  defp to_message(message) do
    role =
      case get(message, :role, nil) do
        r when r in [:user, "user"] ->
          :user

        r when r in [:assistant, "assistant"] ->
          :assistant

        other ->
          raise ArgumentError,
                "message role must be :user or :assistant, got: #{Aybiza.Bedrock.Options.shown(other)}"
      end

    %{role: role, content: blocks(get(message, :content, []))}
  end

  defp blocks(text) when is_binary(text), do: if(text == "", do: [], else: [%{text: text}])

  defp blocks(list) when is_list(list) do
    # Checked here, in the caller: an improper list or a non-map block would crash the
    # call's memory process when its history is trimmed.
    unless blocks?(list) do
      raise ArgumentError,
            "message content must be a string or a proper list of block maps"
    end

    list
  end

  defp blocks(other),
    do:
      raise(
        ArgumentError,
        "message content must be a string or a list of blocks, got: #{Aybiza.Bedrock.Options.shown(other)}"
      )

  defp blocks?([]), do: true
  defp blocks?([block | rest]) when is_map(block), do: blocks?(rest)
  defp blocks?(_other), do: false

  defp merge_roles(messages) do
    messages
    |> Enum.chunk_by(& &1.role)
    |> Enum.map(fn [first | _] = same ->
      %{role: first.role, content: Enum.flat_map(same, & &1.content)}
    end)
  end

  defp drop_leading_assistant([%{role: :assistant} | rest]), do: drop_leading_assistant(rest)
  defp drop_leading_assistant(messages), do: messages

  defp fix_pairs(messages) do
    messages
    |> Enum.with_index()
    |> Enum.map(fn {message, i} ->
      prev = if i > 0, do: Enum.at(messages, i - 1)
      next = Enum.at(messages, i + 1)

      case message.role do
        :user ->
          offered =
            if prev && prev.role == :assistant,
              do: ids(prev.content, :tool_use),
              else: MapSet.new()

          %{message | content: Enum.filter(message.content, &keep_result?(&1, offered))}

        :assistant ->
          answered =
            if next && next.role == :user, do: ids(next.content, :tool_result), else: MapSet.new()

          %{message | content: Enum.filter(message.content, &keep_use?(&1, answered))}
      end
    end)
  end

  defp keep_result?(block, offered) do
    case block_id(block, :tool_result) do
      nil -> true
      id -> MapSet.member?(offered, id)
    end
  end

  defp keep_use?(block, answered) do
    case block_id(block, :tool_use) do
      nil -> true
      id -> MapSet.member?(answered, id)
    end
  end

  defp ids(content, kind) do
    content |> Enum.map(&block_id(&1, kind)) |> Enum.reject(&is_nil/1) |> MapSet.new()
  end

  defp block_id(block, kind) when is_map(block) do
    case get(block, kind, nil) do
      %{} = inner -> get(inner, :tool_use_id, nil) || :no_id
      _ -> nil
    end
  end

  defp block_id(_block, _kind), do: nil

  # Pair-safe sliding window: keep the last `max`, then make the start a clean user turn.
  @doc false
  @spec trim([entry()], pos_integer()) :: [entry()]
  def trim(history, max) do
    history |> Enum.take(-max) |> clean_start()
  end

  defp clean_start([%{role: :assistant} | rest]), do: clean_start(rest)

  defp clean_start([%{role: :user, content: content} = first | rest] = history) do
    if Enum.any?(content, &(block_id(&1, :tool_result) != nil)) do
      case Enum.reject(content, &(block_id(&1, :tool_result) != nil)) do
        [] -> clean_start(rest)
        kept -> [%{first | content: kept} | rest]
      end
    else
      history
    end
  end

  defp clean_start(history), do: history

  defp to_entries(messages) do
    # `is_list/1` lets an improper list through; Enum would raise on its tail.
    if proper_list?(messages),
      do: to_entries(messages, DateTime.utc_now()),
      else: {:error, Error.new(:invalid_request, "messages: is an improper list")}
  end

  defp to_entries(messages, now) do
    Enum.reduce_while(Enum.with_index(messages), {:ok, []}, fn {message, i}, {:ok, acc} ->
      try do
        unless is_map(message),
          do:
            raise(
              ArgumentError,
              "a message must be a map, got: #{Aybiza.Bedrock.Options.shown(message)}"
            )

        %{role: role, content: content} = to_message(message)
        metadata = get(message, :metadata, %{}) || %{}

        unless is_map(metadata),
          do: raise(ArgumentError, "message metadata must be a map")

        {:cont,
         {:ok, [%{role: role, content: content, timestamp: now, metadata: metadata} | acc]}}
      rescue
        e in ArgumentError ->
          {:halt,
           {:error, Error.new(:invalid_request, "messages[#{i}]: " <> Exception.message(e))}}
      end
    end)
    |> case do
      {:ok, entries} -> {:ok, Enum.reverse(entries)}
      error -> error
    end
  end

  defp proper_list?([_ | tail]), do: proper_list?(tail)
  defp proper_list?(tail), do: tail == []

  # --- process -----------------------------------------------------------------------

  # Finds or starts the call's process. Reads (`start? = false`) only start it when the
  # store has something (e.g. after a restart), so unknown calls cost nothing.
  @max_call_id_bytes 1024

  defp call(name, call_id, request, start?) do
    if :erlang.external_size(call_id) > @max_call_id_bytes do
      raise ArgumentError,
            "a call id must be at most #{@max_call_id_bytes} bytes in the external term " <>
              "format (a string, an integer, a short tuple...)"
    end

    case lookup_or_start(name, call_id, start?) do
      {:error, %Error{}} = error ->
        error

      {:ok, pid} ->
        try do
          GenServer.call(pid, request)
        catch
          # The process expired (TTL) between lookup and call: try once more.
          :exit, {:noproc, _} -> call(name, call_id, request, start?)
          :exit, {:normal, _} -> call(name, call_id, request, start?)
        end

      :not_found ->
        :not_found
    end
  end

  defp lookup_or_start(name, call_id, start?) do
    # config/1 first: it explains a memory that is not running.
    config = config(name)

    case Registry.lookup(registry(name), call_id) do
      [{pid, _}] ->
        {:ok, pid}

      [] ->
        if start? or match?({:ok, _}, config.store.load(call_id)) do
          spec = {__MODULE__, {name, call_id, config}}

          case DynamicSupervisor.start_child(calls_supervisor(name), spec) do
            {:ok, pid} -> {:ok, pid}
            {:error, {:already_started, pid}} -> {:ok, pid}
            {:error, :max_children} -> {:error, full(config)}
            {:error, reason} -> raise "conversation memory could not start: #{inspect(reason)}"
          end
        else
          :not_found
        end
    end
  end

  defp full(config) do
    Error.new(
      :overloaded,
      "conversation memory holds #{config.max_calls} calls (max_calls): forget ended " <>
        "calls or raise :max_calls"
    )
  end

  @doc false
  def start_link({name, call_id, config}) do
    GenServer.start_link(__MODULE__, {call_id, config}, name: via(name, call_id))
  end

  @impl true
  def init({call_id, config}) do
    state =
      case config.store.load(call_id) do
        {:ok, stored} -> if expired?(stored, config.ttl), do: new_state(call_id), else: stored
        :not_found -> new_state(call_id)
      end

    {:ok, %{data: state, config: config}, config.ttl}
  end

  defp new_state(call_id) do
    %{call_id: call_id, history: [], summary: nil, metadata: %{}, updated_at: DateTime.utc_now()}
  end

  defp expired?(%{updated_at: %DateTime{} = at}, ttl) do
    DateTime.diff(DateTime.utc_now(), at, :millisecond) > ttl
  end

  defp expired?(_, _), do: false

  @impl true
  def handle_call(:get, _from, state) do
    %{history: h, summary: s, metadata: m} = state.data
    {:reply, %{history: h, summary: s, metadata: m}, state, state.config.ttl}
  end

  def handle_call({:add, entries}, _from, state) do
    max = max_bytes(state)

    case Enum.find_index(entries, &(:erlang.external_size(&1) > max)) do
      nil ->
        history = state.data.history ++ entries
        history = history |> fit_bytes(max) |> trim(state.config.max_messages)
        save(%{state.data | history: history}, state)

      i ->
        reply_too_large("messages[#{i}]", max, state)
    end
  end

  def handle_call({:put, :summary, summary}, _from, state) do
    if :erlang.external_size(summary) > max_bytes(state),
      do: reply_too_large("the summary", max_bytes(state), state),
      else: save(%{state.data | summary: summary}, state)
  end

  def handle_call({:merge_metadata, metadata}, _from, state) do
    merged = Map.merge(state.data.metadata, metadata)

    if :erlang.external_size(merged) > max_bytes(state),
      do: reply_too_large("the metadata", max_bytes(state), state),
      else: save(%{state.data | metadata: merged}, state)
  end

  def handle_call(:forget, _from, state) do
    state.config.store.delete(state.data.call_id)
    {:stop, :normal, :ok, state}
  end

  @impl true
  def handle_info(:timeout, state) do
    # Idle for the whole TTL: the call is over.
    state.config.store.delete(state.data.call_id)
    {:stop, :normal, state}
  end

  def handle_info(_other, state), do: {:noreply, state, state.config.ttl}

  # Memories started before :max_call_bytes existed (a stored config) get the default.
  defp max_bytes(state), do: Map.get(state.config, :max_call_bytes, 16 * 1024 * 1024)

  defp reply_too_large(what, max, state) do
    error =
      Error.new(
        :invalid_request,
        "#{what} is larger than the #{max} bytes a call's memory may hold (max_call_bytes)"
      )

    {:reply, {:error, error}, state, state.config.ttl}
  end

  # Drops the oldest messages until the history holds at most `max` bytes.
  defp fit_bytes(history, max) do
    sizes = Enum.map(history, &:erlang.external_size/1)
    drop_oldest(history, sizes, Enum.sum(sizes), max)
  end

  defp drop_oldest([_ | rest], [size | sizes], total, max) when total > max,
    do: drop_oldest(rest, sizes, total - size, max)

  defp drop_oldest(history, _sizes, _total, _max), do: history

  defp save(data, state) do
    data = %{data | updated_at: DateTime.utc_now()}

    case state.config.store.save(data.call_id, data) do
      :ok ->
        {:reply, :ok, %{state | data: data}, state.config.ttl}

      {:error, reason} ->
        {:reply, {:error, Error.new(:internal, "memory store failed: #{inspect(reason)}")}, state,
         state.config.ttl}
    end
  end
end
