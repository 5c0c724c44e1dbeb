defmodule Aybiza.Bedrock.Turn.ToolRound do
  @moduledoc false
  # One tool round of a turn: the acknowledgment, the tools run in parallel (approval,
  # timeout, input validation), and their results as the user turn that answers the model.
  # Used by the turn's tool rounds (`Aybiza.Bedrock.Turn.Rounds`) and by
  # `Aybiza.Bedrock.ToolLoop`. Nothing a tool does (raise, throw, exit, time out, return a
  # term that is not JSON) escapes as anything but a tool error the model reads.

  alias Aybiza.Bedrock.{Tool, ToolAcknowledgment}
  import Aybiza.Bedrock.Thinking, only: [get: 3]

  @typedoc "A tool use of the model: `%{id: id, name: name, input: map}`."
  @type use :: %{id: String.t(), name: String.t(), input: map()}

  # A tool result is checked before it goes into a request: at most this deep / this many
  # nodes (the request's own limits are enforced again in native code).
  @max_depth 32
  @max_nodes 100_000
  # Bytes of text (and of JSON strings) one tool result may hold: about a 1M-token context
  # window's worth, so that a runaway tool fails its own call (the model reads why) instead
  # of the whole request (20 MiB) failing mid-turn.
  @max_result_bytes 4 * 1024 * 1024

  @doc """
  The acknowledgment to speak while the round's tools run, or nil. `setting`: `true`,
  `false`, `:when_silent` (only when the model said nothing before its tool uses this
  round: `said` is what it said) or a function `(uses, tools) -> String.t() | nil`.
  """
  @spec acknowledgment(term(), [use()], [Tool.t()], String.t() | nil) :: String.t() | nil
  def acknowledgment(true, uses, tools, _said), do: ToolAcknowledgment.for_tool_uses(uses, tools)
  def acknowledgment(false, _uses, _tools, _said), do: nil

  def acknowledgment(:when_silent, uses, tools, said) do
    if String.trim(said || "") == "", do: ToolAcknowledgment.for_tool_uses(uses, tools)
  end

  def acknowledgment(fun, uses, tools, _said) when is_function(fun, 2) do
    case fun.(uses, tools) do
      text when is_binary(text) and text != "" -> text
      _ -> nil
    end
  rescue
    # The caller's function is untrusted too: a raise means no acknowledgment.
    _ -> nil
  catch
    _, _ -> nil
  end

  @doc """
  Runs `uses` (at most `max_concurrency` at once) and calls `on_result.(call)` as each one
  finishes; returns the calls in the order of `uses`. `call` is the use plus `:status`
  (`:success` | `:error`), `:content` (result blocks), `:error` (text or nil), `:round`,
  `:duration_ms`.
  """
  @spec run([use()], map(), pos_integer(), term(), pos_integer(), (map() -> any())) :: [map()]
  def run(uses, by_name, round, context, max_concurrency, on_result) do
    outcomes =
      uses
      |> Task.async_stream(&{&1.id, execute(by_name, &1, round, context)},
        max_concurrency: max_concurrency,
        ordered: false,
        # Each tool has its own timeout inside execute/4.
        timeout: :infinity
      )
      |> Enum.map(fn {:ok, {id, outcome}} ->
        use = Enum.find(uses, &(&1.id == id))
        call = Map.merge(use, Map.put(outcome, :round, round))
        on_result.(call)
        call
      end)
      |> Map.new(&{&1.id, &1})

    # Results go back in the order of the tool uses, whatever order they finished in.
    Enum.map(uses, &Map.fetch!(outcomes, &1.id))
  end

  @doc "The user turn that answers the round's tool uses."
  @spec results_message([map()]) :: map()
  def results_message(calls) do
    %{
      role: :user,
      content:
        Enum.map(calls, fn call ->
          %{tool_result: %{tool_use_id: call.id, content: call.content, status: call.status}}
        end)
    }
  end

  @doc "Tool uses of an assistant summary (engine summaries use atom keys; tolerate JSON ones)."
  @spec tool_uses(map()) :: [use()]
  def tool_uses(summary) do
    for block <- content(summary), is_map(block), use = get(block, :tool_use, nil), is_map(use) do
      %{
        id: get(use, :tool_use_id, nil) || get(use, :id, nil),
        name: get(use, :name, nil),
        input: get(use, :input, %{}) || %{}
      }
    end
  end

  @doc "The content blocks of a summary."
  @spec content(map()) :: [map()]
  def content(summary) do
    case Map.get(summary, :content) do
      list when is_list(list) -> list
      _ -> []
    end
  end

  @doc "Whether the summary's stop reason is a tool use."
  @spec tool_use_stop?(map()) :: boolean()
  def tool_use_stop?(summary) do
    Map.get(summary, :stop_reason) in [:tool_use, "tool_use", "toolUse", :toolUse]
  end

  @doc "`{:error, reason}` for tools that are not `%Tool{}` structs or share a name."
  @spec check_tools([term()]) :: :ok | {:error, String.t()}
  def check_tools(tools) do
    cond do
      not Enum.all?(tools, &is_struct(&1, Tool)) ->
        {:error, "tools must be a list of %Aybiza.Bedrock.Tool{} (see Tool.new/1)"}

      (dups = tools |> Enum.frequencies_by(& &1.name) |> Enum.filter(fn {_, n} -> n > 1 end)) !=
          [] ->
        {:error, "duplicate tool names: #{inspect(Enum.map(dups, &elem(&1, 0)))}"}

      true ->
        :ok
    end
  end

  # --- one tool ---

  defp execute(by_name, %{name: name, input: input, id: id}, round, context) do
    started = System.monotonic_time()

    outcome =
      case Map.fetch(by_name, name) do
        :error ->
          {:error, "unknown tool: #{name}"}

        {:ok, tool} ->
          case Tool.validate_input(tool, input) do
            :ok ->
              invoke_with_timeout(tool, input, %{
                tool_use_id: id,
                name: name,
                round: round,
                context: context
              })

            {:error, message} ->
              {:error, "invalid input: " <> message}
          end
      end

    ms = System.convert_time_unit(System.monotonic_time() - started, :native, :millisecond)

    with {:ok, value} <- outcome,
         content = Tool.result_content(value),
         :ok <- check_text(content),
         :ok <- check_json(content) do
      %{status: :success, content: content, error: nil, duration_ms: ms}
    else
      {:error, reason} ->
        %{status: :error, content: [%{text: reason}], error: reason, duration_ms: ms}
    end
  end

  defp invoke_with_timeout(tool, input, context) do
    # A tool that exits or kills itself fails its call, not the round: this worker traps
    # the exit of its linked task. It still stops with the round: an exit signal from
    # anything else (its owner going down) kills the tool and ends the worker.
    trapping? = Process.flag(:trap_exit, true)
    task = Task.async(fn -> Tool.invoke(tool, input, context) end)
    deadline = System.monotonic_time(:millisecond) + tool.timeout

    try do
      await_tool(task, deadline, tool.timeout)
    after
      Process.flag(:trap_exit, trapping?)
    end
  end

  defp await_tool(%Task{ref: ref, pid: pid} = task, deadline, timeout) do
    wait = max(deadline - System.monotonic_time(:millisecond), 0)

    receive do
      {^ref, outcome} ->
        Process.demonitor(ref, [:flush])
        flush_exit(pid)
        outcome

      {:DOWN, ^ref, :process, ^pid, reason} ->
        flush_exit(pid)
        {:error, "tool exited: #{why(reason)}"}

      {:EXIT, ^pid, _reason} ->
        # Its :DOWN follows with the same reason.
        await_tool(task, deadline, timeout)

      {:EXIT, _owner, _reason} ->
        Task.shutdown(task, :brutal_kill)
        # :shutdown: the round's owner already ended its call; no crash report.
        exit(:shutdown)
    after
      wait ->
        Task.shutdown(task, :brutal_kill)
        flush_exit(pid)
        {:error, "timed out after #{timeout} ms"}
    end
  end

  @doc false
  # Drops the `{:EXIT, pid, _}` of a linked process that has already been dealt with.
  @spec flush_exit(pid()) :: :ok
  def flush_exit(pid) do
    receive do
      {:EXIT, ^pid, _} -> :ok
    after
      0 -> :ok
    end
  end

  # Only the shape of the exit reason: it could hold anything the tool had.
  defp why(reason) when is_atom(reason), do: inspect(reason)
  defp why({:shutdown, _}), do: "shutdown"
  defp why(_reason), do: "crashed"

  # --- JSON check (iterative, bounded) ---

  @doc false
  # :ok when every `text` block of `content` is valid UTF-8 of at most @max_result_bytes.
  @spec check_text([map()]) :: :ok | {:error, String.t()}
  def check_text(content) do
    Enum.reduce_while(content, :ok, fn
      %{text: text}, :ok when byte_size(text) > @max_result_bytes ->
        {:halt, too_large()}

      %{text: text}, :ok ->
        if String.valid?(text),
          do: {:cont, :ok},
          else: {:halt, {:error, "the tool returned text that is not valid UTF-8"}}

      _block, :ok ->
        {:cont, :ok}
    end)
  end

  defp too_large do
    {:error,
     "the tool's result is larger than the #{@max_result_bytes} bytes a tool result may hold"}
  end

  @doc false
  # :ok when every `json` block of `content` holds a JSON value: string keys (or atoms),
  # strings valid UTF-8, finite numbers, integers within 64 bits, proper lists; at most
  # @max_depth deep and @max_nodes nodes.
  @spec check_json([map()]) :: :ok | {:error, String.t()}
  def check_json(content) do
    values = for %{json: value} <- content, do: {value, 1}
    walk(values, 0, 0)
  end

  defp walk([], _nodes, _bytes), do: :ok
  defp walk(_stack, nodes, _bytes) when nodes > @max_nodes, do: not_json("it has too many values")
  defp walk(_stack, _nodes, bytes) when bytes > @max_result_bytes, do: too_large()

  defp walk([{_value, depth} | _], _nodes, _bytes) when depth > @max_depth,
    do: not_json("it is nested deeper than #{@max_depth} levels")

  defp walk([{value, depth} | rest], nodes, bytes) do
    cond do
      is_binary(value) and bytes + byte_size(value) > @max_result_bytes ->
        too_large()

      is_binary(value) ->
        if String.valid?(value),
          do: walk(rest, nodes + 1, bytes + byte_size(value)),
          else: not_json("invalid UTF-8")

      is_boolean(value) or is_nil(value) or is_float(value) ->
        walk(rest, nodes + 1, bytes)

      is_integer(value) ->
        if value >= -0x8000000000000000 and value <= 0xFFFFFFFFFFFFFFFF,
          do: walk(rest, nodes + 1, bytes),
          else: not_json("an integer out of the 64-bit range")

      is_atom(value) ->
        walk(rest, nodes + 1, bytes)

      is_list(value) ->
        case proper_items(value, depth + 1, rest) do
          {:ok, stack} -> walk(stack, nodes + 1, bytes)
          :improper -> not_json("an improper list")
        end

      is_map(value) and not is_struct(value) ->
        keys = Map.keys(value)

        if Enum.all?(keys, &(is_binary(&1) or is_atom(&1))),
          do:
            walk(
              Enum.map(Map.values(value), &{&1, depth + 1}) ++ rest,
              nodes + 1,
              bytes + Enum.sum(for k <- keys, is_binary(k), do: byte_size(k))
            ),
          else: not_json("a map key that is not a string")

      true ->
        not_json("a #{kind(value)}")
    end
  end

  defp proper_items([], _depth, acc), do: {:ok, acc}
  defp proper_items([h | t], depth, acc), do: proper_items(t, depth, [{h, depth} | acc])
  defp proper_items(_tail, _depth, _acc), do: :improper

  defp kind(value) when is_tuple(value), do: "tuple"
  defp kind(value) when is_pid(value), do: "pid"
  defp kind(value) when is_function(value), do: "function"
  defp kind(value) when is_reference(value), do: "reference"
  defp kind(value) when is_struct(value), do: "struct"
  defp kind(_value), do: "value of another type"

  defp not_json(why), do: {:error, "the tool returned a value that is not JSON (#{why})"}
end
