defmodule Aybiza.Bedrock.ToolAcknowledgment do
  @moduledoc """
  What the agent says while tools run, so the caller never sits in silence.

  The phrases of our design:

    * one tool: by its kind (or its own `:acknowledgment`):
      `:records` -> "Let me check our records...", `:search` -> "Let me search for that
      information...", `:calculation` -> "Let me calculate that for you...", `:booking` ->
      "Let me check the schedule for you...", `:email` -> "Let me send that for you...",
      `:transfer` -> "Let me connect you now...", anything else -> "Let me get that for
      you...";
    * two or three tools: "Let me look up a couple of things for you...";
    * more: "I'll need to check several things for you. Give me just a moment...".

  A tool without a `:kind` is classified by its name (`lookup_`, `get_`, `query_` ->
  records; `search` -> search; `book`/`schedule`/`appointment` -> booking; ...).
  """

  alias Aybiza.Bedrock.Tool

  @several "I'll need to check several things for you. Give me just a moment..."
  @couple "Let me look up a couple of things for you..."
  @default "Let me get that for you..."

  @by_kind %{
    records: "Let me check our records...",
    search: "Let me search for that information...",
    calculation: "Let me calculate that for you...",
    booking: "Let me check the schedule for you...",
    email: "Let me send that for you...",
    transfer: "Let me connect you now..."
  }

  @doc "The phrase for a thinking pause: \"Let me think about that for a moment...\"."
  @spec thinking() :: String.t()
  def thinking, do: "Let me think about that for a moment..."

  @doc """
  The acknowledgment for the tool uses of one round. `tool_uses` are maps with a `:name`
  (or `"name"`); `tools` are the `Aybiza.Bedrock.Tool`s (to find a single tool's kind).
  Returns `nil` for no tool uses.
  """
  @spec for_tool_uses([map()], [Tool.t()]) :: String.t() | nil
  def for_tool_uses(tool_uses, tools \\ [])
  def for_tool_uses([], _tools), do: nil
  def for_tool_uses(uses, _tools) when length(uses) > 3, do: @several
  def for_tool_uses(uses, _tools) when length(uses) > 1, do: @couple

  def for_tool_uses([use], tools) do
    name = Map.get(use, :name) || Map.get(use, "name")

    case Enum.find(tools, &(&1.name == name)) do
      %Tool{acknowledgment: phrase} when is_binary(phrase) -> phrase
      %Tool{kind: kind} when not is_nil(kind) -> for_kind(kind)
      _ -> for_kind(kind_from_name(name || ""))
    end
  end

  @doc "The single-tool phrase for a kind (unknown kinds get \"Let me get that for you...\")."
  @spec for_kind(atom()) :: String.t()
  def for_kind(kind), do: Map.get(@by_kind, kind, @default)

  @doc "Guesses a tool's kind from its name, e.g. `\"lookup_customer\"` -> `:records`."
  @spec kind_from_name(String.t()) :: atom()
  def kind_from_name(name) when is_binary(name) do
    name = String.downcase(name)

    cond do
      String.contains?(name, ["search", "knowledge", "find"]) ->
        :search

      String.contains?(name, ["book", "schedule", "appointment", "reserv"]) ->
        :booking

      String.contains?(name, ["email", "mail", "sms", "notify"]) ->
        :email

      String.contains?(name, ["transfer", "escalat", "connect"]) ->
        :transfer

      String.contains?(name, ["calc", "compute", "math"]) ->
        :calculation

      String.contains?(name, [
        "lookup",
        "look_up",
        "get_",
        "query",
        "fetch",
        "record",
        "crm",
        "customer",
        "database"
      ]) ->
        :records

      true ->
        :other
    end
  end
end
