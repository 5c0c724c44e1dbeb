defmodule Aybiza.Bedrock.RequestErrors do
  @moduledoc false
  # Clearer `:invalid_request` messages, computed on the error path only.
  #
  # The engine carries non-UTF-8 binaries (image and document bytes) as binary markers, so a
  # text field holding invalid UTF-8 reaches its validator as something that is not a
  # string and is reported as "expected a string, got a map". This looks the field up in
  # the caller's request by the path the engine reported and, when it holds a binary that is
  # not valid UTF-8, says so.

  alias Aybiza.Error

  # A path like `messages[2].content[0].text` has few segments; longer ones are not resolved.
  @max_segments 64

  @doc """
  `error` with a message that says "not valid UTF-8" when the field it names holds a binary
  that is not UTF-8; `error` unchanged otherwise.
  """
  @spec explain(Error.t(), map()) :: Error.t()
  def explain(%Error{reason: :invalid_request, message: message} = error, request)
      when is_map(request) do
    with [path, detail] <- String.split(message, ": ", parts: 2),
         true <- String.ends_with?(detail, "got a map"),
         {:ok, segments} <- parse(path),
         {:ok, value} when is_binary(value) <- fetch(request, segments),
         false <- String.valid?(value) do
      %{error | message: "#{path}: text is not valid UTF-8 (#{byte_size(value)} bytes)"}
    else
      _ -> error
    end
  end

  def explain(error, _request), do: error

  # "a.b[1].c" -> ["a", "b", 1, "c"]
  defp parse(path) do
    segments =
      ~r/([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,6})\]/
      |> Regex.scan(path)
      |> Enum.map(fn
        [_, name] -> name
        [_, "", index] -> String.to_integer(index)
      end)

    if segments != [] and length(segments) <= @max_segments,
      do: {:ok, segments},
      else: :error
  end

  defp fetch(value, []), do: {:ok, value}

  defp fetch(list, [index | rest]) when is_list(list) and is_integer(index) do
    case nth(list, index) do
      {:ok, value} -> fetch(value, rest)
      :error -> :error
    end
  end

  # `content: "text"` is short for `[%{text: "text"}]`: the engine reports the list's path.
  defp fetch(value, [0, "text"]) when is_binary(value), do: {:ok, value}

  defp fetch(map, [name | rest]) when is_map(map) and is_binary(name) do
    case Enum.find_value(keys(name), :error, &lookup(map, &1)) do
      :error -> :error
      {:ok, value} -> fetch(value, rest)
    end
  end

  defp fetch(_value, _segments), do: :error

  # Also safe on improper lists.
  defp nth([value | _], 0), do: {:ok, value}
  defp nth([_ | rest], n) when n > 0, do: nth(rest, n - 1)
  defp nth(_list, _n), do: :error

  defp lookup(map, key) do
    case Map.fetch(map, key) do
      {:ok, value} -> {:ok, value}
      :error -> nil
    end
  end

  # Keys may be atoms or strings, snake_case or camelCase.
  defp keys(name) do
    camel = Macro.camelize(name)
    camel = String.downcase(String.first(camel)) <> String.slice(camel, 1..-1//1)
    strings = Enum.uniq([name, camel])
    strings ++ for(s <- strings, atom = existing_atom(s), do: atom)
  end

  defp existing_atom(name) do
    String.to_existing_atom(name)
  rescue
    ArgumentError -> nil
  end
end
