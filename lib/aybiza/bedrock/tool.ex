defmodule Aybiza.Bedrock.Tool do
  @moduledoc """
  A tool the model may call: a name, a description, a JSON schema (an Elixir map with
  string keys, passed to Bedrock unchanged) and the code that runs it.

      tool =
        Aybiza.Bedrock.Tool.new!(
          name: "lookup_customer",
          description: "Look up customer information in the CRM system",
          input_schema: %{
            "type" => "object",
            "properties" => %{"customer_id" => %{"type" => "string"}},
            "required" => ["customer_id"]
          },
          execute: fn %{"customer_id" => id} -> MyCRM.lookup(id) end,
          kind: :records,
          timeout: 3_000
        )

  ## The execute function

  `:execute` is a 1-arity function (`input`), a 2-arity function (`input, context`) or an
  MFA `{module, function, extra_args}` called as `apply(module, function, [input, context |
  extra_args])`. `input` is the decoded JSON map the model sent (string keys); `context`
  is a map with `:tool_use_id`, `:name`, `:round` and the loop's `:context` option.

  It returns `{:ok, result}` or `{:error, reason}`. A map result becomes a `json` tool
  result, a string a `text` one, anything else `%{"result" => value}` json. `{:error,
  reason}`, a raise, a throw, an exit or a timeout become a tool result with status
  `:error` and the reason as text, so the model can recover (apologise, ask again).
  A bare return value (neither `{:ok, _}` nor `{:error, _}`) counts as success.

  ## Approval

  `:approval` guards dangerous tools (refunds, transfers, deletions): a function
  `(input, context) -> :ok | true | {:error, reason} | false`, called before `:execute`
  in the tool's task and under its timeout. A denial becomes an error tool result
  ("denied: reason") and `:execute` never runs.

  ## Kind

  `:kind` picks the spoken acknowledgment when this tool is the only one of a round (see
  `Aybiza.Bedrock.ToolAcknowledgment`); `:acknowledgment` overrides it with your phrase.
  """

  alias Aybiza.Error

  @enforce_keys [:name, :description, :input_schema, :execute]
  defstruct [
    :name,
    :description,
    :input_schema,
    :execute,
    :approval,
    :kind,
    :acknowledgment,
    timeout: 5_000
  ]

  @typedoc "What `:execute` returns."
  @type result :: {:ok, term()} | {:error, term()} | term()

  @type execute ::
          (map() -> result()) | (map(), map() -> result()) | {module(), atom(), list()}

  @type approval :: (map(), map() -> :ok | true | false | {:error, term()})

  @type kind :: :search | :records | :booking | :email | :transfer | :calculation | atom() | nil

  @type t :: %__MODULE__{
          name: String.t(),
          description: String.t(),
          input_schema: map(),
          execute: execute(),
          approval: approval() | nil,
          kind: kind(),
          acknowledgment: String.t() | nil,
          timeout: pos_integer()
        }

  @keys [
    :name,
    :description,
    :input_schema,
    :execute,
    :approval,
    :kind,
    :acknowledgment,
    :timeout
  ]

  @doc """
  Builds a tool from a keyword list or map. Returns `{:error, %Aybiza.Error{reason:
  :invalid_request}}` naming the bad field.

  Fields: `:name` (1-64 chars of `[a-zA-Z0-9_-]`, as Bedrock requires), `:description`,
  `:input_schema` (a JSON schema map whose `"type"` is `"object"`), `:execute`,
  optional `:approval`, `:kind`, `:acknowledgment`, `:timeout` (ms, default 5000).
  """
  @spec new(keyword() | map()) :: {:ok, t()} | {:error, Error.t()}
  def new(fields) when is_map(fields), do: new(Map.to_list(fields))

  def new(fields) when is_list(fields) do
    case Keyword.split(fields, @keys) do
      {fields, []} ->
        fields |> Map.new() |> validate()

      {_, unknown} ->
        invalid("unknown tool field(s): #{inspect(Keyword.keys(unknown))}")
    end
  end

  @doc "Like `new/1` but raises `Aybiza.Error`."
  @spec new!(keyword() | map()) :: t()
  def new!(fields) do
    case new(fields) do
      {:ok, tool} -> tool
      {:error, error} -> raise error
    end
  end

  defp validate(f) do
    schema = Map.get(f, :input_schema)

    cond do
      not (is_binary(f[:name]) and Regex.match?(~r/\A[a-zA-Z0-9_-]{1,64}\z/, f[:name])) ->
        invalid(
          "tool.name must be 1-64 characters of [a-zA-Z0-9_-], got: #{Aybiza.Bedrock.Options.shown(f[:name])}"
        )

      not (is_binary(f[:description]) and f[:description] != "") ->
        invalid(
          "tool.description must be a non-empty string, got: #{Aybiza.Bedrock.Options.shown(f[:description])}"
        )

      not (is_map(schema) and
               Map.get(schema, "type", Map.get(schema, :type)) in ["object", :object]) ->
        invalid("tool.input_schema must be a JSON schema map with \"type\" => \"object\"")

      not valid_execute?(f[:execute]) ->
        invalid("tool.execute must be a function of arity 1 or 2 or an {m, f, args} tuple")

      not (is_nil(f[:approval]) or is_function(f[:approval], 2)) ->
        invalid("tool.approval must be nil or a function of arity 2")

      not (is_nil(f[:kind]) or is_atom(f[:kind])) ->
        invalid("tool.kind must be an atom, got: #{Aybiza.Bedrock.Options.shown(f[:kind])}")

      not (is_nil(f[:acknowledgment]) or is_binary(f[:acknowledgment])) ->
        invalid(
          "tool.acknowledgment must be a string, got: #{Aybiza.Bedrock.Options.shown(f[:acknowledgment])}"
        )

      not (is_nil(f[:timeout]) or (is_integer(f[:timeout]) and f[:timeout] > 0)) ->
        invalid(
          "tool.timeout must be a positive integer (ms), got: #{Aybiza.Bedrock.Options.shown(f[:timeout])}"
        )

      true ->
        f = if f[:timeout] == nil, do: Map.delete(f, :timeout), else: f
        {:ok, struct!(__MODULE__, Map.update!(f, :input_schema, &stringify_keys/1))}
    end
  end

  defp valid_execute?(fun) when is_function(fun, 1) or is_function(fun, 2), do: true
  defp valid_execute?({m, f, a}) when is_atom(m) and is_atom(f) and is_list(a), do: true
  defp valid_execute?(_), do: false

  defp invalid(message), do: {:error, Error.new(:invalid_request, message)}

  # The schema travels as JSON; string keys keep it identical to what the model sees.
  defp stringify_keys(map) when is_map(map) do
    Map.new(map, fn {k, v} -> {to_string(k), stringify_keys(v)} end)
  end

  defp stringify_keys(list) when is_list(list), do: Enum.map(list, &stringify_keys/1)

  defp stringify_keys(atom) when is_atom(atom) and atom not in [nil, true, false],
    do: Atom.to_string(atom)

  defp stringify_keys(other), do: other

  @doc """
  The Converse `toolSpec` entry for `tool`:
  `%{tool_spec: %{name: _, description: _, input_schema: %{json: schema}}}`.
  """
  @spec to_spec(t()) :: map()
  def to_spec(%__MODULE__{} = tool) do
    %{
      tool_spec: %{
        name: tool.name,
        description: tool.description,
        input_schema: %{json: tool.input_schema}
      }
    }
  end

  @doc """
  The Converse `toolConfig` for `tools` and a tool choice: `:auto` (default), `:any`
  (must call some tool) or `{:tool, name}` / a tool name string (must call that tool).
  Pass `cache_point: true` (or `"1h"`) to end the tool list with a `cachePoint`.
  """
  @spec tool_config([t()], keyword()) :: map()
  def tool_config(tools, opts \\ []) when is_list(tools) do
    opts = Keyword.validate!(opts, tool_choice: :auto, cache_point: false)
    specs = Enum.map(tools, &to_spec/1)

    specs =
      case opts[:cache_point] do
        false ->
          specs

        nil ->
          specs

        true ->
          specs ++ [%{cache_point: %{type: "default"}}]

        ttl when ttl in ["5m", "1h"] ->
          specs ++ [%{cache_point: %{type: "default", ttl: ttl}}]

        other ->
          raise ArgumentError,
                ":cache_point must be a boolean, \"5m\" or \"1h\", got: #{Aybiza.Bedrock.Options.shown(other)}"
      end

    %{tools: specs, tool_choice: tool_choice!(opts[:tool_choice], tools)}
  end

  @doc """
  The Converse tool choice for `choice` (`:auto`, `:any`, `{:tool, name}` or a name).
  Raises `ArgumentError` for anything else or a name not among `tools`.
  """
  @spec tool_choice!(term(), [t()]) :: map()
  def tool_choice!(:auto, _tools), do: %{auto: %{}}
  def tool_choice!(:any, _tools), do: %{any: %{}}
  def tool_choice!({:tool, name}, tools), do: tool_choice!(name, tools)

  def tool_choice!(name, tools) when is_binary(name) do
    unless Enum.any?(tools, &(&1.name == name)) do
      raise ArgumentError, ":tool_choice names #{inspect(name)}, which is not among the tools"
    end

    %{tool: %{name: name}}
  end

  def tool_choice!(other, _tools) do
    raise ArgumentError,
          ":tool_choice must be :auto, :any, {:tool, name} or a tool name, got: #{Aybiza.Bedrock.Options.shown(other)}"
  end

  @doc """
  Checks `input` against the tool's schema: required fields present, declared property
  types (`string`, `number`, `integer`, `boolean`, `array`, `object`, `null`, or a list of
  them), `enum` values, array `items` and nested objects. Returns `:ok` or
  `{:error, message}` naming the field path (e.g. `"items[1].sku"`).
  """
  @spec validate_input(t() | map(), term()) :: :ok | {:error, String.t()}
  def validate_input(%__MODULE__{input_schema: schema}, input), do: validate_input(schema, input)

  def validate_input(schema, input) when is_map(schema) do
    case check(stringify_keys(schema), input, "input") do
      [] -> :ok
      [first | _] -> {:error, first}
    end
  end

  defp check(schema, value, path) do
    with [] <- check_type(schema, value, path),
         [] <- check_enum(schema, value, path) do
      check_children(schema, value, path)
    end
  end

  defp check_type(%{"type" => types}, value, path) do
    types = List.wrap(types)

    if Enum.any?(types, &type?(&1, value)) do
      []
    else
      expected = Enum.join(types, " or ")

      [
        "#{path} must be #{article(expected)} #{expected}, got: #{Aybiza.Bedrock.Options.shown(value)}"
      ]
    end
  end

  defp check_type(_schema, _value, _path), do: []

  defp article(<<c, _::binary>>) when c in ~c"aeiou", do: "an"
  defp article(_), do: "a"

  defp type?("string", v), do: is_binary(v)
  defp type?("integer", v), do: is_integer(v) or (is_float(v) and v == trunc(v))
  defp type?("number", v), do: is_number(v)
  defp type?("boolean", v), do: is_boolean(v)
  defp type?("array", v), do: is_list(v)
  defp type?("object", v), do: is_map(v)
  defp type?("null", v), do: is_nil(v)
  # Unknown type keywords are the model's and Bedrock's business, not ours.
  defp type?(_, _), do: true

  defp check_enum(%{"enum" => values}, value, path) when is_list(values) do
    if value in values,
      do: [],
      else: [
        "#{path} must be one of #{inspect(values)}, got: #{Aybiza.Bedrock.Options.shown(value)}"
      ]
  end

  defp check_enum(_schema, _value, _path), do: []

  defp check_children(schema, value, path) when is_map(value) do
    required = Map.get(schema, "required", [])
    props = Map.get(schema, "properties", %{})

    missing =
      for name <- List.wrap(required), not Map.has_key?(value, name) do
        "#{path} misses required field #{inspect(name)}"
      end

    nested =
      Enum.flat_map(props, fn {name, sub} ->
        case Map.fetch(value, name) do
          {:ok, v} when is_map(sub) -> check(sub, v, field_path(path, name))
          _ -> []
        end
      end)

    missing ++ nested
  end

  defp check_children(%{"items" => items}, value, path) when is_list(value) and is_map(items) do
    value
    |> Enum.with_index()
    |> Enum.flat_map(fn {v, i} -> check(items, v, "#{path}[#{i}]") end)
  end

  defp check_children(_schema, _value, _path), do: []

  defp field_path("input", name), do: name
  defp field_path(path, name), do: "#{path}.#{name}"

  @doc false
  # Runs approval then execute in the calling process; never raises.
  @spec invoke(t(), map(), map()) :: {:ok, term()} | {:error, String.t()}
  def invoke(%__MODULE__{} = tool, input, context) do
    with :ok <- approve(tool, input, context) do
      tool.execute |> call(input, context) |> normalize_result()
    end
  rescue
    exception -> {:error, "tool raised: " <> Exception.message(exception)}
  catch
    :throw, value -> {:error, "tool threw: #{inspect(value)}"}
    :exit, reason -> {:error, "tool exited: #{inspect(reason)}"}
  end

  defp approve(%{approval: nil}, _input, _context), do: :ok

  defp approve(%{approval: fun}, input, context) do
    case fun.(input, context) do
      ok when ok in [:ok, true] -> :ok
      false -> {:error, "denied: not approved"}
      {:error, reason} -> {:error, "denied: " <> reason_text(reason)}
      other -> {:error, "denied: unexpected approval answer #{inspect(other)}"}
    end
  end

  defp call(fun, input, _context) when is_function(fun, 1), do: fun.(input)
  defp call(fun, input, context) when is_function(fun, 2), do: fun.(input, context)
  defp call({m, f, a}, input, context), do: apply(m, f, [input, context | a])

  defp normalize_result({:ok, value}), do: {:ok, value}
  defp normalize_result(:ok), do: {:ok, "ok"}
  defp normalize_result({:error, reason}), do: {:error, reason_text(reason)}
  defp normalize_result(value), do: {:ok, value}

  @doc false
  @spec reason_text(term()) :: String.t()
  def reason_text(reason) when is_binary(reason), do: reason
  def reason_text(%{__exception__: true} = e), do: Exception.message(e)
  def reason_text(reason) when is_atom(reason), do: Atom.to_string(reason)
  def reason_text(reason), do: inspect(reason)

  @doc false
  # A successful result as tool result content blocks.
  @spec result_content(term()) :: [map()]
  def result_content(value) when is_binary(value), do: [%{text: value}]
  def result_content(value) when is_map(value) and not is_struct(value), do: [%{json: value}]
  def result_content(value), do: [%{json: %{"result" => jsonable(value)}}]

  defp jsonable(v) when is_number(v) or is_boolean(v) or is_nil(v) or is_binary(v), do: v
  defp jsonable(v) when is_atom(v), do: Atom.to_string(v)
  # An improper list is left as it is for the JSON check to name.
  defp jsonable(v) when is_list(v), do: if(proper?(v), do: Enum.map(v, &jsonable/1), else: v)
  defp jsonable(v) when is_map(v) and not is_struct(v), do: v
  defp jsonable(v), do: inspect(v)

  defp proper?([]), do: true
  defp proper?([_ | tail]), do: proper?(tail)
  defp proper?(_tail), do: false
end
