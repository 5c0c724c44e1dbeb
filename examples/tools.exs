# Example tools of our design for a voice agent: customer lookup, appointment booking,
# knowledge search, email and call transfer. These are documented examples: replace the
# bodies with your CRM, calendar, search and telephony clients.
#
#     mix run examples/tools.exs
#
# runs one turn against the embedded emulator (`endpoint: :emulator`).

defmodule Examples.VoiceAgentTools do
  alias Aybiza.Bedrock.Tool

  @doc "All example tools."
  def all,
    do: [lookup_customer(), book_appointment(), search_knowledge(), send_email(), transfer_call()]

  def lookup_customer do
    Tool.new!(
      name: "lookup_customer",
      description:
        "Look up customer information in the CRM system by customer ID or phone number",
      input_schema: %{
        "type" => "object",
        "properties" => %{
          "customer_id" => %{"type" => "string", "description" => "Customer ID or phone number"},
          "fields" => %{
            "type" => "array",
            "items" => %{"type" => "string"},
            "description" => "Specific fields to retrieve"
          }
        },
        "required" => ["customer_id"]
      },
      kind: :records,
      timeout: 2_000,
      # Replace with your CRM client; return {:ok, map} or {:error, reason}.
      execute: fn %{"customer_id" => id} ->
        {:ok, %{"customer_id" => id, "name" => "Ana Silva", "tier" => "gold", "open_orders" => 1}}
      end
    )
  end

  def book_appointment do
    Tool.new!(
      name: "book_appointment",
      description: "Book an appointment for the customer at a given date and time",
      input_schema: %{
        "type" => "object",
        "properties" => %{
          "customer_id" => %{"type" => "string"},
          "date" => %{"type" => "string", "description" => "ISO 8601 date, e.g. 2025-06-01"},
          "time" => %{"type" => "string", "description" => "24h time, e.g. 14:30"},
          "service" => %{"type" => "string", "enum" => ["consultation", "repair", "installation"]}
        },
        "required" => ["date", "time"]
      },
      kind: :booking,
      timeout: 3_000,
      execute: fn %{"date" => date, "time" => time} = input ->
        {:ok,
         %{
           "confirmation" => "BK-1042",
           "date" => date,
           "time" => time,
           "service" => input["service"]
         }}
      end
    )
  end

  def search_knowledge do
    Tool.new!(
      name: "search_knowledge",
      description:
        "Search company knowledge base for information about products, policies and troubleshooting",
      input_schema: %{
        "type" => "object",
        "properties" => %{
          "query" => %{"type" => "string", "description" => "Search query"},
          "category" => %{"type" => "string", "description" => "Optional category filter"}
        },
        "required" => ["query"]
      },
      kind: :search,
      timeout: 2_000,
      # Text results are fine too: they become a `text` tool result.
      execute: fn %{"query" => q} ->
        {:ok, "Top article for #{inspect(q)}: restart the router, then wait two minutes."}
      end
    )
  end

  def send_email do
    Tool.new!(
      name: "send_email",
      description:
        "Send an email to the customer, e.g. a booking confirmation or a summary of the call",
      input_schema: %{
        "type" => "object",
        "properties" => %{
          "to" => %{"type" => "string"},
          "subject" => %{"type" => "string"},
          "body" => %{"type" => "string"}
        },
        "required" => ["to", "subject", "body"]
      },
      kind: :email,
      execute: fn %{"to" => to} -> {:ok, %{"sent" => true, "to" => to}} end
    )
  end

  # A dangerous tool: the approval callback runs first and can refuse.
  def transfer_call do
    Tool.new!(
      name: "transfer_call",
      description: "Transfer the call to a human agent in a department",
      input_schema: %{
        "type" => "object",
        "properties" => %{
          "department" => %{"type" => "string", "enum" => ["billing", "support", "sales"]},
          "reason" => %{"type" => "string"}
        },
        "required" => ["department"]
      },
      kind: :transfer,
      approval: fn %{"department" => dept}, _context ->
        if business_hours?(), do: :ok, else: {:error, "the #{dept} team is closed right now"}
      end,
      execute: fn %{"department" => dept} -> {:ok, %{"transferred_to" => dept}} end
    )
  end

  defp business_hours?, do: Time.utc_now().hour in 8..17
end

# The demo turn runs with `mix run`, not when a test loads this file to check the tools.
if Code.ensure_loaded?(Aybiza.Bedrock.Emulator) and Process.whereis(ExUnit.Server) == nil do
  alias Aybiza.Bedrock.ToolLoop

  request = %{
    model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    system: Aybiza.Bedrock.VoicePrompts.system(:customer_service),
    messages: [%{role: :user, content: "Can you lookup customer C-42 for me?"}],
    inference_config: %{max_tokens: 512}
  }

  {:ok, ref} =
    ToolLoop.stream(request, Examples.VoiceAgentTools.all(), backend_opts: [endpoint: :emulator])

  Stream.repeatedly(fn ->
    receive do
      {:aybiza_bedrock, ^ref, event} -> event
    end
  end)
  |> Enum.reduce_while(nil, fn
    {:done, result}, _ ->
      {:halt, IO.puts("done after #{result.rounds} rounds")}

    {:error, error}, _ ->
      {:halt, IO.puts("error: #{Exception.message(error)}")}

    {:sentence, _, text}, acc ->
      IO.puts("SAY: " <> text) && {:cont, acc}

    {:tool_acknowledgment, text}, acc ->
      IO.puts("SAY (ack): " <> text) && {:cont, acc}

    {:tool_call, call}, acc ->
      IO.puts("TOOL: #{call.name} #{inspect(call.input)}") && {:cont, acc}

    _, acc ->
      {:cont, acc}
  end)
end
