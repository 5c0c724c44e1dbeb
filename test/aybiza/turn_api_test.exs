defmodule Aybiza.TurnApiTest do
  # Issue 14 item 1 and 3: one turn API (tools, memory, cache, media, guardrail option)
  # under the resilience layer, and honest accounting, against the real engine and emulator.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{ConversationMemory, Emulator, Media, PerformanceMonitor, Telemetry, Tool}
  alias Aybiza.Error

  @moduletag :emulator

  @sonnet "anthropic.claude-sonnet-4-6"
  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"
  @answer "We open at nine tomorrow. The dentist is in."

  defp emulator(rules) do
    emulator = start_supervised!({Emulator, rules: rules}, id: make_ref())
    creds = Emulator.credentials(emulator)

    {emulator,
     [
       endpoint: Emulator.url(emulator),
       credentials: %{
         access_key_id: creds.access_key_id,
         secret_access_key: creds.secret_access_key
       }
     ]}
  end

  defp hours_rules(extra \\ %{}) do
    [
      Map.merge(
        %{
          tool_uses: [%{name: "get_hours", input: %{"day" => "tomorrow"}}],
          reply_after_tool: @answer
        },
        extra
      )
    ]
  end

  defp hours_tool(execute) do
    Tool.new!(
      name: "get_hours",
      description: "Opening hours of the practice for a day",
      input_schema: %{
        "type" => "object",
        "properties" => %{"day" => %{"type" => "string"}},
        "required" => ["day"]
      },
      execute: execute,
      timeout: 300
    )
  end

  defp opts(client, extra \\ []) do
    Keyword.merge(
      [
        client_opts: client,
        model_id: @sonnet,
        region: "us-east-1",
        policy: [random: fn _ -> 0 end, fallback_region: nil],
        breaker: [failure_threshold: 1_000],
        fallback_line: false
      ],
      extra
    )
  end

  defp turn(client, tools, extra \\ [], context \\ %{}) do
    {:ok, ref} =
      BedrockClient.generate_response(
        "When are you open tomorrow?",
        Map.merge(%{tools: tools, call_id: "turn-api"}, context),
        opts(client, extra)
      )

    {ref, collect_events(ref, 20_000)}
  end

  defp of(events, tag), do: for({^tag, info} <- events, do: info)

  defp attach_all do
    test = self()
    id = "turn-api-#{System.unique_integer([:positive])}"

    Telemetry.attach(id, Telemetry.events(), fn event, measurements, metadata, _ ->
      if metadata[:call_id] == "turn-api", do: send(test, {:telemetry, event, measurements})
    end)

    on_exit(fn -> Telemetry.detach(id) end)
  end

  defp telemetry do
    receive do
      {:telemetry, event, measurements} -> [{event, measurements} | telemetry()]
    after
      100 -> []
    end
  end

  defp balanced?(events, prefix) do
    starts = Enum.count(events, fn {e, _} -> e == prefix ++ [:start] end)
    ends = Enum.count(events, fn {e, _} -> e in [prefix ++ [:stop], prefix ++ [:exception]] end)
    starts == ends
  end

  describe "tools as %Tool{} structs" do
    test "the turn runs the tool and answers in a second round, under the relay" do
      {_emulator, client} = emulator(hours_rules())
      attach_all()
      tool = hours_tool(fn %{"day" => day} -> {:ok, %{"day" => day, "opens" => "9:00"}} end)
      {_ref, events} = turn(client, [tool])

      assert [1, 2] = of(events, :round)

      assert [%{name: "get_hours", input: %{"day" => "tomorrow"}, round: 1}] =
               of(events, :tool_call)

      assert [%{status: :success, round: 1}] = of(events, :tool_result)
      # The model said nothing before its tool use: the library's acknowledgment fills in.
      assert [_ack] = of(events, :tool_acknowledgment)

      seqs = for {:sentence, seq, _} <- events, do: seq
      assert seqs == Enum.to_list(0..(length(seqs) - 1))

      assert {:done, summary} = List.last(events)
      assert summary.rounds == 2
      assert summary.final_text == @answer
      assert [%{name: "get_hours", status: :success}] = summary.tool_calls
      assert length(summary.attempt_costs) == 2

      assert summary.cost.nanodollars ==
               Enum.sum(Enum.map(summary.attempt_costs, & &1.cost.nanodollars))

      assert summary.cost.nanodollars > 0

      tele = telemetry()
      assert balanced?(tele, [:aybiza_bedrock, :turn])
      assert balanced?(tele, [:aybiza_bedrock, :stream])
      assert balanced?(tele, [:aybiza_bedrock, :tool_round])
      assert Enum.count(tele, fn {e, _} -> e == [:aybiza_bedrock, :stream, :start] end) == 2
      assert [{_, %{cost: cost}}] = for({[_, :turn, :stop], _} = t <- tele, do: t)
      assert cost == summary.cost.nanodollars
    end

    test "a throttled model in round 2 is retried and falls back; every attempt is accounted" do
      {emulator, client} = emulator(hours_rules())

      # Round 1 succeeds; while the tool runs, Sonnet starts to throttle.
      tool =
        hours_tool(fn _ ->
          :ok =
            Emulator.set_rules(
              emulator,
              [%{model: "claude-sonnet-4-6", faults: "throttle"}] ++ hours_rules()
            )

          {:ok, "9:00 to 17:00"}
        end)

      {_ref, events} = turn(client, [tool], policy: [random: fn _ -> 0 end, throttle_retries: 1])

      assert [%{reason: :throttled, model_id: @sonnet}] = of(events, :retry)
      assert [%{kind: :throttling_chain, model_id: @haiku}] = of(events, :fallback)
      assert {:done, summary} = List.last(events)
      assert summary.rounds == 2
      assert summary.final_text == @answer

      assert [
               %{round: 1, outcome: :ok, model_id: @sonnet},
               %{round: 2, outcome: :throttled, cost: nil},
               %{round: 2, outcome: :throttled, cost: nil},
               %{round: 2, outcome: :ok}
             ] = summary.attempt_costs

      assert %{"throttled" => 2, "ok" => 2} = Emulator.counters(emulator)["converse-stream"]
    end

    test "a tool that raises, times out or returns a non-JSON value goes back as a tool error" do
      for {execute, message} <- [
            {fn _ -> raise "database down" end, "tool raised: database down"},
            {fn _ -> Process.sleep(5_000) end, "timed out after 300 ms"},
            {fn _ -> {:ok, %{"who" => self()}} end, "not JSON (a pid)"},
            {fn _ -> {:ok, %{"big" => 2 ** 70}} end, "not JSON (an integer out of"}
          ] do
        {_emulator, client} = emulator(hours_rules())
        {_ref, events} = turn(client, [hours_tool(execute)])
        assert [%{status: :error, error: error}] = of(events, :tool_result)
        assert error =~ message
        assert {:done, %{rounds: 2}} = List.last(events)
      end
    end

    test ":when_silent (default): no acknowledgment when the model spoke before its tool use" do
      {_emulator, client} = emulator(hours_rules(%{reply: "Let me look that up."}))
      {_ref, events} = turn(client, [hours_tool(fn _ -> "9:00" end)])
      assert [%{status: :success}] = of(events, :tool_result)
      assert of(events, :tool_acknowledgment) == []
      assert [{0, "Let me look that up."} | _] = sentences(events)

      {_emulator, client} = emulator(hours_rules(%{reply: "Let me look that up."}))
      {_ref, events} = turn(client, [hours_tool(fn _ -> "9:00" end)], acknowledge: true)
      assert [_ack] = of(events, :tool_acknowledgment)
    end

    test "approval: a denied tool goes back to the model as a tool error" do
      {_emulator, client} = emulator(hours_rules())
      test = self()

      tool = %{
        hours_tool(fn _ -> send(test, :executed) end)
        | approval: fn %{"day" => "tomorrow"}, %{name: "get_hours"} ->
            {:error, "closed on Sundays"}
          end
      }

      {_ref, events} = turn(client, [tool])
      assert [%{status: :error, error: "denied: closed on Sundays"}] = of(events, :tool_result)
      refute_received :executed
      assert {:done, %{rounds: 2}} = List.last(events)
    end

    test "bad tools are this call's error before any network" do
      tool = hours_tool(fn _ -> :ok end)
      spec = Tool.to_spec(tool)

      assert {:error, %Error{reason: :invalid_request, message: "context :tools mixes" <> _}} =
               BedrockClient.generate_response("hi", %{tools: [tool, spec]}, model_id: @sonnet)

      assert {:error, %Error{reason: :invalid_request, message: "duplicate tool names" <> _}} =
               BedrockClient.generate_response("hi", %{tools: [tool, tool]}, model_id: @sonnet)
    end

    test "max rounds ends the turn with :max_rounds" do
      {_emulator, client} =
        emulator([%{tool_uses: [%{name: "get_hours", input: %{"day" => "x"}}]}])

      {_ref, events} = turn(client, [hours_tool(fn _ -> "ok" end)], max_rounds: 1)
      assert [1] = of(events, :round)
      assert {:error, %Error{reason: :max_rounds}} = List.last(events)
    end
  end

  describe "barge-in during a tool round" do
    test "one :cancelled terminal with the cost, balanced telemetry, a monitor row" do
      {_emulator, client} = emulator(hours_rules())
      attach_all()
      test = self()

      tool =
        hours_tool(fn _ ->
          send(test, :tool_running)
          Process.sleep(5_000)
        end)

      tool = %{tool | timeout: 10_000}
      PerformanceMonitor.reset()

      {:ok, ref} =
        BedrockClient.generate_response(
          "When are you open tomorrow?",
          %{tools: [tool], call_id: "turn-api"},
          opts(client)
        )

      assert_receive :tool_running, 10_000
      :ok = BedrockClient.cancel(ref)

      events = collect_events(ref, 1_000)
      terminals = for {tag, _} = e <- events, tag in [:done, :error], do: e
      assert [{:error, %Error{reason: :cancelled} = error}] = terminals
      assert error.delivered.cost.nanodollars > 0

      assert error.delivered.cost.nanodollars ==
               Enum.sum(for %{cost: %{nanodollars: n}} <- error.delivered.attempt_costs, do: n)

      refute_receive {:aybiza_bedrock, ^ref, _}, 200

      tele = telemetry()
      assert balanced?(tele, [:aybiza_bedrock, :turn])
      assert balanced?(tele, [:aybiza_bedrock, :stream])
      assert balanced?(tele, [:aybiza_bedrock, :tool_round])
      assert [{_, %{cost: cost}}] = for({[_, :turn, :exception], _} = t <- tele, do: t)
      assert cost == error.delivered.cost.nanodollars

      assert %{calls: 1, cost_nanodollars: row_cost} =
               PerformanceMonitor.summary().models[{@sonnet, "us-east-1"}]

      assert row_cost == cost
    end

    test "a cancel mid-answer estimates what was generated; the monitor counts it, not as an error" do
      {_emulator, client} =
        emulator([
          %{
            reply: String.duplicate("This is a long sentence about opening hours. ", 40),
            pacing: "tps=200"
          }
        ])

      PerformanceMonitor.reset()

      {:ok, ref} =
        BedrockClient.generate_response("Tell me", %{call_id: "turn-api"}, opts(client))

      assert_receive {:aybiza_bedrock, ^ref, {:sentence, 1, _}}, 10_000
      :ok = BedrockClient.cancel(ref)
      assert_receive {:aybiza_bedrock, ^ref, {:error, %Error{reason: :cancelled} = error}}
      assert %{nanodollars: n, estimated?: true} = error.delivered.cost
      assert n > 0

      assert %{calls: 1, errors: 0, cancelled: 1, cost_nanodollars: ^n} =
               PerformanceMonitor.summary().models[{@sonnet, "us-east-1"}]
    end
  end

  describe "cancels and deaths in a tool turn" do
    test "a cancel in model round 2 bills round 1 and the cut-off round 2" do
      {emulator, client} = emulator(hours_rules())
      attach_all()

      # Round 2 answers slowly, so the cancel lands while it streams.
      tool =
        hours_tool(fn _ ->
          :ok =
            Emulator.set_rules(emulator, [
              %{
                reply_after_tool: String.duplicate("We open at nine tomorrow. ", 60),
                pacing: "tps=100"
              }
            ])

          "9:00"
        end)

      {:ok, ref} =
        BedrockClient.generate_response(
          "When are you open tomorrow?",
          %{tools: [tool], call_id: "turn-api"},
          opts(client)
        )

      assert_receive {:aybiza_bedrock, ^ref, {:round, 2}}, 10_000
      assert_receive {:aybiza_bedrock, ^ref, {:sentence, _, "We open at nine tomorrow."}}, 10_000
      :ok = BedrockClient.cancel(ref)

      {:messages, mailbox} = Process.info(self(), :messages)
      mine = for {:aybiza_bedrock, ^ref, event} <- mailbox, do: event

      assert [{:error, %Error{reason: :cancelled, phase: :mid_stream} = error}] =
               for({tag, _} = e <- mine, tag in [:done, :error], do: e)

      assert [
               %{round: 1, outcome: :ok},
               %{round: 2, outcome: :cancelled, cost: %{estimated?: true}}
             ] = error.delivered.attempt_costs

      assert error.delivered.cost.nanodollars ==
               Enum.sum(for %{cost: %{nanodollars: n}} <- error.delivered.attempt_costs, do: n)

      tele = telemetry()
      assert balanced?(tele, [:aybiza_bedrock, :turn])
      assert balanced?(tele, [:aybiza_bedrock, :stream])
      assert balanced?(tele, [:aybiza_bedrock, :tool_round])
    end

    test "the turn process killed mid-tool-round: one :internal terminal, spans closed, tool stopped" do
      {_emulator, client} = emulator(hours_rules())
      attach_all()
      test = self()

      tool =
        hours_tool(fn _ ->
          send(test, {:tool_running, self()})
          Process.sleep(10_000)
        end)

      {:ok, ref} =
        BedrockClient.generate_response(
          "When are you open tomorrow?",
          %{tools: [%{tool | timeout: 20_000}], call_id: "turn-api"},
          opts(client)
        )

      assert_receive {:tool_running, tool_pid}, 10_000
      tool_monitor = Process.monitor(tool_pid)
      Process.exit(Aybiza.Bedrock.Turn.Relay.lookup(ref), :kill)

      assert_receive {:aybiza_bedrock, ^ref, {:error, %Error{reason: :internal}}}, 2_000
      assert_receive {:DOWN, ^tool_monitor, _, _, _}, 2_000
      refute_receive {:aybiza_bedrock, ^ref, {:error, _}}, 200

      tele = telemetry()
      assert balanced?(tele, [:aybiza_bedrock, :turn])
      assert balanced?(tele, [:aybiza_bedrock, :tool_round])
      assert balanced?(tele, [:aybiza_bedrock, :stream])
    end

    test "bad attachments and a raising acknowledgment function crash nothing" do
      {_emulator, client} = emulator(hours_rules())

      assert {:error, %Error{reason: :invalid_request, message: "context :attachments" <> _}} =
               BedrockClient.generate_response("hi", %{attachments: [%{text: "x"}]}, opts(client))

      assert {:error, %Error{reason: :invalid_request}} =
               BedrockClient.generate_response("hi", %{attachments: "img"}, opts(client))

      {_ref, events} =
        turn(client, [hours_tool(fn _ -> "9:00" end)], acknowledge: fn _, _ -> raise "oops" end)

      assert of(events, :tool_acknowledgment) == []
      assert {:done, %{rounds: 2}} = List.last(events)
    end
  end

  describe "every attempt in the cost" do
    test "a call recovered after a mid-stream failure bills the failed attempt too" do
      reply = "We open at nine tomorrow. The dentist is in. Parking is free. See you soon."

      {_emulator, client} =
        emulator([
          %{model: "claude-sonnet-4-6", reply: reply, faults: "exception=throttlingException@8"},
          %{reply: "Parking is free. See you soon."}
        ])

      {:ok, ref} =
        BedrockClient.generate_response(
          "Hours?",
          %{call_id: "turn-api"},
          opts(client, policy: [random: fn _ -> 0 end, throttle_retries: 0])
        )

      events = collect_events(ref, 20_000)
      assert [_ | _] = of(events, :recovered)
      assert {:done, summary} = List.last(events)

      assert [%{outcome: :throttled, cost: %{estimated?: true} = failed}, %{outcome: :ok} = ok] =
               summary.attempt_costs

      assert failed.nanodollars > 0
      # No usage from Bedrock for the cut-off attempt: estimated, as its cost.
      assert %{usage: %{estimated?: true, output_tokens: out}} = hd(summary.attempt_costs)
      assert out > 0
      assert summary.cost.nanodollars == failed.nanodollars + ok.cost.nanodollars
      assert summary.cost.estimated? == true
    end
  end

  describe "memory: call_id" do
    test "reads the window, appends the turn and the answer; an unknown id starts anew" do
      {_emulator, client} = emulator(hours_rules())
      call_id = "mem-#{System.unique_integer([:positive])}"
      tool = hours_tool(fn _ -> "9:00" end)
      {_ref, events} = turn(client, [tool], memory: call_id, memory_opts: [last_n: 20])
      assert {:done, _} = List.last(events)

      history = ConversationMemory.get_context(call_id).history
      assert [:user, :assistant, :user, :assistant] = Enum.map(history, & &1.role)
      assert [%{text: "When are you open tomorrow?"}] = hd(history).content

      # The next turn sends that history: a plain turn whose request the emulator accepts
      # (tool uses answered by their results, roles alternating).
      {:ok, summary} =
        BedrockClient.generate_response(
          "Thanks!",
          %{tools: [tool]},
          opts(client, stream: false, memory: call_id)
        )

      assert summary.rounds == 2
      assert length(ConversationMemory.get_context(call_id).history) == 8
    end
  end

  describe "memory and attachments" do
    @png <<0x89, "PNG", 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, "IHDR", 0, 0, 0, 1, 0, 0, 0, 1>>

    test "by default the caller's words are remembered, not the attachments" do
      {_emulator, client} = emulator([%{reply: "A tiny picture."}])
      call_id = "mem-att-#{System.unique_integer([:positive])}"
      {:ok, image} = Media.image(@png)

      assert {:ok, _} =
               BedrockClient.generate_response(
                 "What is this?",
                 %{attachments: [image]},
                 opts(client, stream: false, memory: call_id)
               )

      assert [%{role: :user, content: [%{text: "What is this?"}]}, %{role: :assistant}] =
               ConversationMemory.get_context(call_id).history
    end

    test "keep_attachments: true remembers them; the window never passes Bedrock's caps" do
      {_emulator, client} = emulator([%{reply: "A tiny picture."}])
      call_id = "mem-att-#{System.unique_integer([:positive])}"
      {:ok, image} = Media.image(@png)
      {:ok, doc} = Media.document("Price list", "prices", :txt)
      keep = [keep_attachments: true]

      assert {:ok, _} =
               BedrockClient.generate_response(
                 "What is this?",
                 %{attachments: [image, doc]},
                 opts(client, stream: false, memory: call_id, memory_opts: keep)
               )

      assert [%{role: :user, content: [^image, ^doc, %{text: "What is this?"}]}, _answer] =
               ConversationMemory.get_context(call_id).history

      # The next turn sends them again (the emulator accepts the request)...
      assert {:ok, _} =
               BedrockClient.generate_response(
                 "And the price?",
                 %{},
                 opts(client, stream: false, memory: call_id, memory_opts: keep)
               )

      # ...and with 20 new images in this turn, the remembered one becomes a note: the
      # request stays within 20 images, the remembered document (1 of 5) stays.
      context =
        Aybiza.Bedrock.Turn.Memory.window_into(
          %{attachments: List.duplicate(image, 20)},
          call_id,
          keep
        )

      [first | _] = context.conversation_history

      assert [%{text: "[an image the caller sent earlier]"}, ^doc, %{text: "What is this?"}] =
               first.content

      assert {:ok, request} =
               BedrockClient.build_request(
                 "Twenty more.",
                 context,
                 [temperature: 0.3, top_p: 0.9, top_k: 250],
                 @sonnet
               )

      assert :ok = Media.check_counts(request.messages)

      assert_raise ArgumentError, ~r/keep_attachments/, fn ->
        BedrockClient.generate_response(
          "x",
          %{},
          opts(client, memory: call_id, memory_opts: [keep_attachments: :yes])
        )
      end
    end
  end

  describe "one request builder" do
    test "cache: puts cache points on the system prompt and tools, above the catalog minimum" do
      tool = %{
        hours_tool(fn _ -> "ok" end)
        | description: String.duplicate("Opening hours. ", 400)
      }

      long = String.duplicate("You are the voice agent of Acme Dental. ", 400)
      opts = [cache: true, temperature: 0.3, top_p: 0.9, top_k: 250, thinking_budget: 3_000]

      {:ok, request} =
        BedrockClient.build_request("hi", %{system_prompt: long, tools: [tool]}, opts, @sonnet)

      assert [%{text: _}, %{cache_point: %{type: "default"}}] = request.system
      assert %{cache_point: _} = List.last(request.tool_config.tools)

      # Below Sonnet 4.6's minimum cacheable prefix: no cache point at all.
      short_tool = hours_tool(fn _ -> "ok" end)

      {:ok, short} =
        BedrockClient.build_request(
          "hi",
          %{system_prompt: "Short.", tools: [short_tool]},
          opts,
          @sonnet
        )

      refute Enum.any?(short.system, &Map.has_key?(&1, :cache_point))
      refute Enum.any?(short.tool_config.tools, &Map.has_key?(&1, :cache_point))
    end

    test "images and documents go into the user turn, counts checked" do
      png = <<0x89, "PNG", 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, "IHDR", 0, 0, 0, 1, 0, 0, 0, 1>>
      {:ok, image} = Media.image(png)
      {:ok, doc} = Media.document("Price list", "prices", :txt)
      opts = [temperature: 0.3, top_p: 0.9, top_k: 250]

      {:ok, request} =
        BedrockClient.build_request("What is this?", %{attachments: [image, doc]}, opts, @sonnet)

      assert [%{role: :user, content: [^image, ^doc, %{text: "What is this?"}]}] =
               request.messages

      assert {:error, %Error{reason: :invalid_request}} =
               BedrockClient.build_request(
                 "x",
                 %{attachments: List.duplicate(image, 21)},
                 opts,
                 @sonnet
               )
    end

    test "an image turn goes through the emulator" do
      {_emulator, client} = emulator([%{reply: "A tiny picture."}])
      png = <<0x89, "PNG", 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, "IHDR", 0, 0, 0, 1, 0, 0, 0, 1>>
      {:ok, image} = Media.image(png)

      assert {:ok, %{text: "A tiny picture."}} =
               BedrockClient.generate_response(
                 "What is this?",
                 %{attachments: [image]},
                 opts(client, stream: false)
               )
    end

    test "guardrail: validated, then sent as guardrailConfig" do
      opts = [
        temperature: 0.3,
        top_p: 0.9,
        top_k: 250,
        guardrail: [id: "gr1abc", version: "DRAFT", trace: :enabled]
      ]

      {:ok, request} = BedrockClient.build_request("hi", %{}, opts, @sonnet)

      assert request.guardrail_config == %{
               guardrail_identifier: "gr1abc",
               guardrail_version: "DRAFT",
               trace: "enabled"
             }

      for bad <- [
            [id: "Bad Id", version: "1"],
            [id: "gr1", version: "0"],
            [id: "gr1", version: "1", trace: :loud],
            [id: "gr1", version: "1", mode: :sync],
            "gr1"
          ] do
        assert_raise ArgumentError, ~r/invalid option :guardrail/, fn ->
          BedrockClient.generate_response("hi", %{}, guardrail: bad)
        end
      end
    end
  end

  describe "the Enumerable form" do
    test "stream_events/3 yields the turn's events and ends with its terminal" do
      {_emulator, client} = emulator(hours_rules())
      tool = hours_tool(fn _ -> "9:00" end)

      events =
        BedrockClient.stream_events("When are you open tomorrow?", %{tools: [tool]}, opts(client))
        |> Enum.to_list()

      assert [1, 2] = of(events, :round)
      assert {:done, %{rounds: 2}} = List.last(events)
    end

    test "halting early cancels the turn" do
      {_emulator, client} =
        emulator([%{reply: String.duplicate("One more sentence here. ", 50), pacing: "tps=100"}])

      assert [{:sentence, 0, _}] =
               BedrockClient.stream_events("Talk", %{}, opts(client))
               |> Stream.filter(&match?({:sentence, _, _}, &1))
               |> Enum.take(1)

      assert Aybiza.Bedrock.live_streams() >= 0
    end
  end
end
