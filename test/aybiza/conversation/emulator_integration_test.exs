defmodule Aybiza.Conversation.EmulatorIntegrationTest do
  # Against the real engine and the embedded emulator (config/test.exs: endpoint: :emulator).
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.{ConversationMemory, Thinking, Tool, ToolLoop}
  alias Aybiza.Test.ConversationRecordingBackend, as: Recorder

  @haiku "us.anthropic.claude-haiku-4-5-20251001-v1:0"
  @sonnet "us.anthropic.claude-sonnet-4-6"

  @lookup_schema %{
    "type" => "object",
    "properties" => %{"customer_id" => %{"type" => "string"}},
    "required" => ["customer_id"]
  }

  defp lookup(
         execute \\ fn %{"customer_id" => id} ->
           {:ok, %{"customer_id" => id, "name" => "Ana"}}
         end,
         extra \\ []
       ) do
    Tool.new!(
      [
        name: "lookup_customer",
        description: "Look up customer information in the CRM system",
        input_schema: @lookup_schema,
        execute: execute,
        kind: :records
      ] ++ extra
    )
  end

  defp request(model, text, extra \\ %{}) do
    Map.merge(
      %{
        model_id: model,
        messages: [%{role: :user, content: [%{text: text}]}],
        inference_config: %{max_tokens: 512}
      },
      extra
    )
  end

  defp events(ref, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, e} -> events(ref, [e | acc])
    after
      30_000 -> flunk("no terminal event; got #{inspect(Enum.reverse(acc))}")
    end
  end

  defp stream!(request, tools, opts \\ []) do
    recorder = Recorder.start!()

    {:ok, ref} =
      ToolLoop.stream(
        request,
        tools,
        [backend: Recorder, backend_opts: [record: recorder]] ++ opts
      )

    {events(ref), recorder}
  end

  test "a tool round then an answer, streamed: events, results sent back, seq keeps increasing" do
    {events, recorder} =
      stream!(request(@haiku, "Can you lookup_customer C-42 for me?"), [lookup()],
        acknowledge: true
      )

    assert {:done, result} = List.last(events)
    assert Enum.count(events, &match?({:done, _}, &1)) == 1
    assert result.rounds == 2
    assert {:round, 1} in events and {:round, 2} in events
    assert {:tool_acknowledgment, "Let me check our records..."} in events
    assert Enum.any?(events, &match?({:tool_use, %{name: "lookup_customer"}}, &1))
    assert Enum.any?(events, &match?({:tool_call, %{name: "lookup_customer", round: 1}}, &1))

    assert Enum.any?(
             events,
             &match?({:tool_result, %{name: "lookup_customer", status: :success}}, &1)
           )

    seqs = for {:sentence, seq, _} <- events, do: seq
    assert seqs != []
    assert seqs == Enum.to_list(0..(length(seqs) - 1))
    assert result.sentences == length(seqs)
    assert result.final_text =~ "lookup customer"

    [_, second] = Recorder.requests(recorder)

    assert [
             _,
             %{role: :assistant, content: content},
             %{role: :user, content: [%{tool_result: tr}]}
           ] = second.messages

    # The engine's content blocks go back exactly as they came (string keys).
    assert content == hd(result.new_messages).content
    assert Enum.any?(content, &match?(%{"tool_use" => %{"name" => "lookup_customer"}}, &1))
    assert tr.status == :success
    assert [%{json: %{"name" => "Ana"}}] = tr.content
    assert result.usage.input_tokens > 0

    # Usage and cost are summed over both rounds.
    assert result.cost.nanodollars > 0
    assert result.cost.display == Aybiza.Bedrock.Cost.format_nanodollars(result.cost.nanodollars)
  end

  test "failing and slow tools give the model error results it can talk about" do
    failing = lookup(fn _ -> {:error, "CRM unavailable"} end)
    {events, _} = stream!(request(@haiku, "Please lookup_customer C-1"), [failing])
    assert {:done, result} = List.last(events)
    assert [%{status: :error, error: "CRM unavailable"}] = result.tool_calls
    assert result.final_text =~ "CRM unavailable"

    slow = lookup(fn _ -> Process.sleep(:infinity) end, timeout: 100)
    {events, _} = stream!(request(@haiku, "Please lookup_customer C-2"), [slow])
    assert {:done, result} = List.last(events)
    assert [%{status: :error, error: "timed out after 100 ms"}] = result.tool_calls
  end

  test "non-streaming run/3 (the collected loop) against the emulator" do
    recorder = Recorder.start!()
    parent = self()

    assert {:ok, result} =
             ToolLoop.run(request(@haiku, "lookup_customer C-7 please"), [lookup()],
               backend: Recorder,
               backend_opts: [record: recorder],
               on_event: &send(parent, {:ev, &1}),
               acknowledge: true
             )

    assert result.rounds == 2
    assert_received {:ev, {:tool_acknowledgment, "Let me check our records..."}}
    assert [%{status: :success}] = result.tool_calls
  end

  test "thinking with tools: filler cue, deltas never spoken, signature sent back unchanged" do
    req =
      request(@sonnet, "Can you lookup_customer C-9 and analyze their account?", %{
        inference_config: %{max_tokens: 4096}
      })

    {events, recorder} = stream!(req, [lookup()], thinking: 2048)

    assert {:done, result} = List.last(events)
    assert :thinking_started in events
    thinking = for {:thinking, d} <- events, do: d
    assert thinking != []
    spoken = for {:sentence, _, s} <- events, do: s

    # Thinking reaches the app only as {:thinking, _}: never in sentences or text deltas.
    thought = thinking |> Enum.join() |> String.trim()
    assert thought != ""
    refute Enum.join(spoken, " ") =~ thought
    refute Enum.any?(for({:text, t} <- events, do: t), &(&1 =~ thought))

    [first, second] = Recorder.requests(recorder)
    assert Thinking.budget(first) == 2048
    %{content: assistant_content} = Enum.at(second.messages, 1)
    [reasoning] = Thinking.reasoning_blocks(assistant_content)
    # What went back is exactly what the engine returned in round one.
    round_one_content = get_in(result, [:new_messages]) |> hd() |> Map.fetch!(:content)
    assert reasoning in round_one_content

    signature =
      get_in(reasoning, ["reasoning_content", "signature"]) ||
        get_in(reasoning, [:reasoning_content, :signature])

    assert is_binary(signature) and signature != ""

    # Next user turn: the stored conversation (with signatures) is accepted again.
    next = %{
      req
      | messages:
          result.messages ++ [%{role: :user, content: [%{text: "Thanks. Anything else?"}]}]
    }

    {events, _} = stream!(next, [lookup()], thinking: 2048)
    assert {:done, _} = List.last(events)
  end

  test "prompt caching: the second turn reads what the first wrote" do
    system = [
      %{text: String.duplicate("You are a careful, friendly voice agent for Acme Telecom. ", 200)}
    ]

    req = request(@sonnet, "Hello there", %{system: system})

    {events, recorder} = stream!(req, [], cache: true)
    assert {:done, first} = List.last(events)
    [sent] = Recorder.requests(recorder)
    assert List.last(sent.system) == %{cache_point: %{type: "default"}}
    assert first.usage.cache_write_input_tokens > 0

    second_req = %{
      req
      | messages: first.messages ++ [%{role: :user, content: [%{text: "And again"}]}]
    }

    {events, _} = stream!(second_req, [], cache: true)
    assert {:done, second} = List.last(events)
    assert second.usage.cache_read_input_tokens > 0
  end

  # A 1 hour cache point: ConverseStream's metadata splits the write by TTL (cacheDetails,
  # docs/EMULATOR.md "Usage keys"); it reaches the usage and the turn's cost is the 1 hour
  # rate's, as Cost.calculate/2 prices the same usage.
  test "prompt caching with a 1 hour TTL: usage carries cache_details, cost the 1 hour rate" do
    system = [
      # Not the other caching test's prompt: the emulator's cache is shared between tests.
      %{text: String.duplicate("You are a patient voice agent for Acme Energy, one hour. ", 200)}
    ]

    req = request(@sonnet, "Hello there", %{system: system})

    {events, _} = stream!(req, [], cache: [ttl: "1h"])
    assert {:done, done} = List.last(events)
    written = done.usage.cache_write_input_tokens
    assert written > 0
    assert done.usage.cache_details == [%{input_tokens: written, ttl: "1h"}]

    {:ok, priced} = Aybiza.Bedrock.Cost.calculate(@sonnet, done.usage)

    {:ok, five_minutes} =
      Aybiza.Bedrock.Cost.calculate(@sonnet, Map.delete(done.usage, :cache_details))

    assert done.cost.nanodollars == priced.nanodollars
    assert done.cost.cache_write == priced.cache_write
    assert priced.cache_write > five_minutes.cache_write
  end

  test "validated image and document blocks go through the engine" do
    png = <<0x89, "PNG", 0x0D, 0x0A, 0x1A, 0x0A, 13::32, "IHDR", 4::32, 4::32, 8, 6, 0, 0, 0>>
    {:ok, image} = Aybiza.Bedrock.Media.image(png)
    {:ok, doc} = Aybiza.Bedrock.Media.document("Order 42: shipped", "Order status", :txt)
    {:ok, message} = Aybiza.Bedrock.Media.user_message("What do these show?", [image, doc])

    {events, _} =
      stream!(%{model_id: @haiku, messages: [message], inference_config: %{max_tokens: 256}}, [])

    assert {:done, %{rounds: 1, final_text: text}} = List.last(events)
    assert text != ""
  end

  test "memory across turns builds valid requests" do
    name = Module.concat(__MODULE__, Memory)
    start_supervised!({ConversationMemory.Supervisor, name: name})
    mem = [memory: name]
    call_id = "emu-call-1"

    :ok =
      ConversationMemory.remember(
        call_id,
        %{role: :user, content: "Hi, can you lookup_customer C-3?"},
        mem
      )

    messages = ConversationMemory.build_messages_with_memory(call_id, nil, mem)

    {events, _} =
      stream!(%{model_id: @haiku, messages: messages, inference_config: %{max_tokens: 512}}, [
        lookup()
      ])

    assert {:done, result} = List.last(events)
    :ok = ConversationMemory.remember_all(call_id, result.new_messages, mem)

    messages = ConversationMemory.build_messages_with_memory(call_id, "Great, thanks!", mem)
    assert Enum.map(messages, & &1.role) == [:user, :assistant, :user, :assistant, :user]

    {events, _} =
      stream!(%{model_id: @haiku, messages: messages, inference_config: %{max_tokens: 512}}, [
        lookup()
      ])

    assert {:done, third} = List.last(events)
    assert third.rounds == 1
  end
end

defmodule Aybiza.Conversation.EmulatorThinkingAutoTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.ToolLoop

  @sonnet "us.anthropic.claude-sonnet-4-6"

  defp run(text, context) do
    request = %{
      model_id: @sonnet,
      messages: [%{role: :user, content: text}],
      inference_config: %{max_tokens: 512, temperature: 0.3}
    }

    {:ok, ref} = ToolLoop.stream(request, [], thinking: :auto, context: context)
    collect(ref, [])
  end

  defp collect(ref, acc) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, e} -> collect(ref, [e | acc])
    after
      30_000 -> flunk("no terminal event")
    end
  end

  test "thinking: :auto follows the design's heuristic" do
    hard =
      "Can you troubleshoot why my router keeps dropping the connection every evening " <>
        "after the firmware update, and explain step by step what to check?"

    assert Aybiza.Bedrock.Thinking.should_use?(hard, %{agent_type: :technical_support})
    events = run(hard, %{agent_type: :technical_support})
    assert {:done, _} = List.last(events)
    assert :thinking_started in events

    events = run("What time do you open?", %{agent_type: :customer_service})
    assert {:done, _} = List.last(events)
    refute :thinking_started in events
  end
end

defmodule Aybiza.Conversation.EmulatorParallelToolsTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.{Emulator, Tool, ToolLoop}

  @haiku "us.anthropic.claude-haiku-4-5-20251001-v1:0"
  @obj %{"type" => "object", "properties" => %{"q" => %{"type" => "string"}}, "required" => ["q"]}

  setup do
    rules = [
      %{
        prompt_contains: "check both",
        tool_uses: [
          %{id: "tu_slow", name: "slow_lookup", input: %{"q" => "orders"}},
          %{id: "tu_fast", name: "fast_lookup", input: %{"q" => "profile"}}
        ]
      }
    ]

    emulator = start_supervised!({Emulator, rules: rules})
    %{client: [endpoint: Emulator.url(emulator), credentials: Emulator.credentials(emulator)]}
  end

  test "parallel tools finish out of order against the emulator", %{client: client} do
    parent = self()

    slow =
      Tool.new!(
        name: "slow_lookup",
        description: "Looks up orders",
        input_schema: @obj,
        execute: fn _ ->
          send(parent, {:slow_started, self()})
          receive do: (:go -> {:ok, %{"orders" => 1}})
        end
      )

    fast =
      Tool.new!(
        name: "fast_lookup",
        description: "Looks up the profile",
        input_schema: @obj,
        execute: fn _ -> {:ok, "profile ok"} end
      )

    request = %{
      model_id: @haiku,
      messages: [%{role: :user, content: "Please check both for me"}],
      inference_config: %{max_tokens: 256}
    }

    {:ok, ref} = ToolLoop.stream(request, [slow, fast], backend_opts: client)

    assert_receive {:aybiza_bedrock, ^ref,
                    {:tool_acknowledgment, "Let me look up a couple of things for you..."}},
                   10_000

    assert_receive {:slow_started, slow_pid}, 10_000

    assert_receive {:aybiza_bedrock, ^ref, {:tool_result, %{id: "tu_fast", status: :success}}},
                   10_000

    refute_received {:aybiza_bedrock, ^ref, {:tool_result, %{id: "tu_slow"}}}
    send(slow_pid, :go)

    assert_receive {:aybiza_bedrock, ^ref, {:tool_result, %{id: "tu_slow", status: :success}}},
                   10_000

    assert_receive {:aybiza_bedrock, ^ref, {:done, result}}, 10_000
    # The emulator answers about the results in the order they were sent back.
    assert result.final_text =~ ~r/slow lookup.*fast lookup/s
    assert Enum.map(result.tool_calls, & &1.id) == ["tu_slow", "tu_fast"]

    assert [
             _,
             _,
             %{
               role: :user,
               content: [
                 %{tool_result: %{tool_use_id: "tu_slow"}},
                 %{tool_result: %{tool_use_id: "tu_fast"}}
               ]
             },
             _
           ] = result.messages
  end
end
