defmodule Aybiza.Conversation.ToolTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.{Tool, ToolAcknowledgment}

  @schema %{
    "type" => "object",
    "properties" => %{
      "customer_id" => %{"type" => "string"},
      "count" => %{"type" => "integer"},
      "kind" => %{"type" => "string", "enum" => ["a", "b"]},
      "items" => %{
        "type" => "array",
        "items" => %{
          "type" => "object",
          "properties" => %{"sku" => %{"type" => "string"}},
          "required" => ["sku"]
        }
      }
    },
    "required" => ["customer_id"]
  }

  defp tool(fields \\ []) do
    Tool.new!(
      Keyword.merge(
        [
          name: "lookup_customer",
          description: "Look up a customer",
          input_schema: @schema,
          execute: fn _ -> {:ok, %{}} end
        ],
        fields
      )
    )
  end

  test "new/1 validates and names the bad field" do
    assert {:error, %Aybiza.Error{reason: :invalid_request, message: msg}} =
             Tool.new(
               name: "bad name!",
               description: "d",
               input_schema: @schema,
               execute: fn _ -> :ok end
             )

    assert msg =~ "tool.name"

    assert {:error, %{message: msg}} =
             Tool.new(
               name: "x",
               description: "d",
               input_schema: %{"type" => "string"},
               execute: fn _ -> :ok end
             )

    assert msg =~ "input_schema"

    assert {:error, %{message: msg}} =
             Tool.new(name: "x", description: "d", input_schema: @schema, execute: fn -> :ok end)

    assert msg =~ "execute"

    assert {:error, %{message: msg}} =
             Tool.new(
               name: "x",
               description: "d",
               input_schema: @schema,
               execute: {M, :f, []},
               timeout: 0
             )

    assert msg =~ "timeout"

    assert {:error, %{message: msg}} =
             Tool.new(
               name: "x",
               description: "d",
               input_schema: @schema,
               execute: {M, :f, []},
               color: :red
             )

    assert msg =~ "unknown tool field"
    assert_raise Aybiza.Error, fn -> Tool.new!(name: "") end
  end

  test "atom keys in the schema become strings (the schema is JSON)" do
    t =
      Tool.new!(
        name: "x",
        description: "d",
        input_schema: %{type: :object, required: [:a]},
        execute: fn _ -> :ok end
      )

    assert t.input_schema == %{"type" => "object", "required" => ["a"]}
  end

  test "to_spec/1 and tool_config/2 give the Converse shapes" do
    t = tool()

    assert Tool.to_spec(t) == %{
             tool_spec: %{
               name: "lookup_customer",
               description: "Look up a customer",
               input_schema: %{json: @schema}
             }
           }

    assert %{tool_choice: %{auto: %{}}, tools: [_]} = Tool.tool_config([t])
    assert %{tool_choice: %{any: %{}}} = Tool.tool_config([t], tool_choice: :any)

    assert %{tool_choice: %{tool: %{name: "lookup_customer"}}} =
             Tool.tool_config([t], tool_choice: {:tool, "lookup_customer"})

    assert %{tools: [_, %{cache_point: %{type: "default", ttl: "1h"}}]} =
             Tool.tool_config([t], cache_point: "1h")

    assert_raise ArgumentError, ~r/not among the tools/, fn ->
      Tool.tool_config([t], tool_choice: "nope")
    end

    assert_raise ArgumentError, ~r/tool_choice/, fn ->
      Tool.tool_config([t], tool_choice: :none)
    end
  end

  test "validate_input/2 checks required fields, types, enums, arrays and nesting" do
    t = tool()

    assert :ok =
             Tool.validate_input(t, %{
               "customer_id" => "c1",
               "count" => 2,
               "items" => [%{"sku" => "x"}]
             })

    assert {:error, "input misses required field \"customer_id\""} = Tool.validate_input(t, %{})
    assert {:error, msg} = Tool.validate_input(t, %{"customer_id" => 7})
    assert msg =~ "customer_id must be a string"
    assert {:error, msg} = Tool.validate_input(t, %{"customer_id" => "c", "count" => "3"})
    assert msg =~ "count must be an integer"
    assert {:error, msg} = Tool.validate_input(t, %{"customer_id" => "c", "kind" => "z"})
    assert msg =~ "kind must be one of"

    assert {:error, msg} =
             Tool.validate_input(t, %{"customer_id" => "c", "items" => [%{"sku" => "a"}, %{}]})

    assert msg =~ "items[1] misses required field \"sku\""
    assert {:error, msg} = Tool.validate_input(t, "not a map")
    assert msg =~ "input must be an object"
  end

  test "invoke/3 turns results, errors, raises, throws and denials into outcomes" do
    ctx = %{tool_use_id: "t", name: "x", round: 1, context: nil}

    assert {:ok, %{"a" => 1}} =
             Tool.invoke(tool(execute: fn _ -> {:ok, %{"a" => 1}} end), %{}, ctx)

    assert {:ok, "plain"} = Tool.invoke(tool(execute: fn _, _ -> "plain" end), %{}, ctx)

    assert {:error, "not_found"} =
             Tool.invoke(tool(execute: fn _ -> {:error, :not_found} end), %{}, ctx)

    assert {:error, "tool raised: boom"} =
             Tool.invoke(tool(execute: fn _ -> raise "boom" end), %{}, ctx)

    assert {:error, "tool threw: :x"} =
             Tool.invoke(tool(execute: fn _ -> throw(:x) end), %{}, ctx)

    assert {:ok, 3} = Tool.invoke(tool(execute: {__MODULE__, :add, [2]}), 1, ctx)

    parent = self()

    denied =
      tool(
        approval: fn _input, _ctx -> {:error, "needs a supervisor"} end,
        execute: fn _ -> send(parent, :ran) end
      )

    assert {:error, "denied: needs a supervisor"} = Tool.invoke(denied, %{}, ctx)
    refute_received :ran
    assert {:ok, _} = Tool.invoke(tool(approval: fn _, _ -> true end), %{}, ctx)
  end

  def add(input, _ctx, n), do: {:ok, input + n}

  test "result_content/1 maps results to tool result blocks" do
    assert [%{text: "hi"}] = Tool.result_content("hi")
    assert [%{json: %{"a" => 1}}] = Tool.result_content(%{"a" => 1})
    assert [%{json: %{"result" => [1, "b"]}}] = Tool.result_content([1, :b])
  end

  test "acknowledgments follow the design's phrases" do
    assert ToolAcknowledgment.for_tool_uses([%{name: "lookup_customer"}], [tool(kind: :records)]) ==
             "Let me check our records..."

    assert ToolAcknowledgment.for_tool_uses([%{name: "search_knowledge"}]) ==
             "Let me search for that information..."

    assert ToolAcknowledgment.for_tool_uses([%{name: "lookup_customer"}], [
             tool(acknowledgment: "One sec...")
           ]) == "One sec..."

    assert ToolAcknowledgment.for_tool_uses([%{name: "zzz"}]) == "Let me get that for you..."
    two = [%{name: "a"}, %{name: "b"}]
    assert ToolAcknowledgment.for_tool_uses(two) == "Let me look up a couple of things for you..."

    assert ToolAcknowledgment.for_tool_uses(two ++ [%{name: "c"}]) ==
             "Let me look up a couple of things for you..."

    assert ToolAcknowledgment.for_tool_uses(two ++ two) ==
             "I'll need to check several things for you. Give me just a moment..."

    assert ToolAcknowledgment.for_tool_uses([]) == nil
  end
end

defmodule Aybiza.Conversation.ExampleToolsTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Tool

  test "the documented example tools build and run" do
    examples = Module.concat([Examples, VoiceAgentTools])

    unless Code.ensure_loaded?(examples) do
      Code.require_file("examples/tools.exs", File.cwd!())
    end

    tools = examples.all()

    assert Enum.map(tools, & &1.name) ==
             [
               "lookup_customer",
               "book_appointment",
               "search_knowledge",
               "send_email",
               "transfer_call"
             ]

    lookup = hd(tools)
    assert :ok = Tool.validate_input(lookup, %{"customer_id" => "C-42"})
    assert {:ok, %{"name" => "Ana Silva"}} = Tool.invoke(lookup, %{"customer_id" => "C-42"}, %{})
  end
end
