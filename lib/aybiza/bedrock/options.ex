defmodule Aybiza.Bedrock.Options do
  @moduledoc false
  # Option validation whose errors name the offending key and never print option values:
  # client options travel next to credentials, and `Keyword.validate!/2` would print the
  # whole keyword list (secret key and session token included) for one misspelt key.

  @doc """
  Like `Keyword.validate!/2` (same `spec`: atoms or `{key, default}`), but an
  `ArgumentError` names only keys: `what` says whose options these are, e.g.
  `"Aybiza.Bedrock client option"`.
  """
  @spec validate!(term(), [atom() | {atom(), term()}], String.t()) :: keyword()
  def validate!(opts, spec, what) when is_list(spec) and is_binary(what) do
    # The common case (every key allowed, none given twice) in one pass: this runs three
    # times on every `stream/2` call's path to its first sentence. Anything else takes the
    # checks below, which name the offending keys.
    case valid_keys(opts, spec, [], length(spec)) do
      :ok -> with_defaults(spec, opts)
      :check -> check!(opts, spec, what)
    end
  end

  # At most `budget` (the spec's length) pairs are looked at: a longer list has a repeated
  # or an unknown key, which `check!/3` reports (as it reports an improper list).
  defp valid_keys([], _spec, _seen, _budget), do: :ok

  defp valid_keys([{key, _} | rest], spec, seen, budget) when is_atom(key) and budget > 0 do
    if allowed?(spec, key) and not :lists.member(key, seen),
      do: valid_keys(rest, spec, [key | seen], budget - 1),
      else: :check
  end

  defp valid_keys(_opts, _spec, _seen, _budget), do: :check

  defp allowed?([{key, _default} | _], key), do: true
  defp allowed?([key | _], key), do: true
  defp allowed?([_ | spec], key), do: allowed?(spec, key)
  defp allowed?([], _key), do: false

  # As `Keyword.validate!/2`: the defaults of the keys not given are added.
  defp with_defaults([{key, default} | spec], opts) do
    if :lists.keymember(key, 1, opts),
      do: with_defaults(spec, opts),
      else: with_defaults(spec, [{key, default} | opts])
  end

  defp with_defaults([_key | spec], opts), do: with_defaults(spec, opts)
  defp with_defaults([], opts), do: opts

  defp check!(opts, spec, what) do
    unless Keyword.keyword?(opts) do
      raise ArgumentError, "#{what}s must be a keyword list, got #{describe(opts)}"
    end

    allowed =
      Enum.map(spec, fn
        {key, _default} -> key
        key -> key
      end)

    keys = Keyword.keys(opts)

    # Checked here: Keyword.validate!/2's own message for a duplicate prints every value.
    case Enum.uniq(keys -- Enum.uniq(keys)) do
      [] ->
        :ok

      repeated ->
        raise ArgumentError,
              "#{what} #{Enum.map_join(repeated, ", ", &inspect/1)} given more than once"
    end

    case keys |> Enum.reject(&(&1 in allowed)) |> Enum.uniq() do
      [] ->
        Keyword.validate!(opts, spec)

      unknown ->
        raise ArgumentError,
              "unknown #{what} #{Enum.map_join(unknown, ", ", &inspect/1)}" <>
                suggestion(unknown, allowed) <>
                "; expected one of: #{Enum.map_join(allowed, ", ", &inspect/1)}"
    end
  end

  @doc false
  # `opts` if it is a keyword list; otherwise an ArgumentError naming its type only (options
  # travel next to credentials, and Keyword's own errors print the whole list).
  @spec keyword!(term()) :: keyword()
  def keyword!(opts) do
    if Keyword.keyword?(opts),
      do: opts,
      else: raise(ArgumentError, "options must be a keyword list, got #{describe(opts)}")
  end

  @doc false
  # A stacktrace with each frame's argument list replaced by its arity (a NIF's or a
  # function clause's frame holds the arguments themselves).
  @spec without_arguments(Exception.stacktrace()) :: Exception.stacktrace()
  def without_arguments(stacktrace) do
    for frame <- stacktrace do
      case frame do
        {m, f, args, location} when is_list(args) -> {m, f, length(args), location}
        other -> other
      end
    end
  end

  @doc """
  A rejected value for an error message: numbers and atoms as they are (no secret is one),
  anything that could hold a secret or a caller's text (strings, maps, tuples, lists)
  described by `describe/1`.
  """
  @spec shown(term()) :: String.t()
  def shown(term) when is_number(term) or is_atom(term), do: inspect(term)
  def shown(term), do: describe(term)

  @doc """
  What kind of term `term` is, without its value ("a map", "a 3-tuple", "a string of 12
  bytes"...): for error messages about values that may hold secrets.
  """
  @spec describe(term()) :: String.t()
  def describe(term) when is_binary(term) do
    if String.valid?(term),
      do: "a string of #{byte_size(term)} bytes",
      else: "a binary that is not valid UTF-8"
  end

  def describe(term) when is_map(term) and is_map_key(term, :__struct__),
    do: "a %#{inspect(term.__struct__)}{}"

  def describe(term) when is_map(term), do: "a map"
  def describe(term) when is_tuple(term), do: "a #{tuple_size(term)}-tuple"
  def describe(term) when is_atom(term), do: "the atom #{inspect(term)}"
  def describe(term) when is_integer(term), do: "an integer"
  def describe(term) when is_float(term), do: "a float"
  def describe(term) when is_pid(term), do: "a pid"
  def describe(term) when is_function(term), do: "a function"
  def describe([]), do: "an empty list"
  def describe(term) when is_list(term), do: "a list"
  def describe(_term), do: "a term"

  # Closest allowed key for a misspelling (`:timeout` -> `:timeouts`); bounded work: option
  # names are short and few.
  defp suggestion([unknown | _], allowed) do
    name = unknown |> Atom.to_string() |> String.slice(0, 64)

    best =
      allowed
      |> Enum.map(&{String.jaro_distance(name, Atom.to_string(&1)), &1})
      |> Enum.max(fn -> {0.0, nil} end)

    case best do
      {score, key} when score >= 0.8 -> " (did you mean #{inspect(key)}?)"
      _ -> ""
    end
  end
end
