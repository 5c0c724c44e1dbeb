defmodule Aybiza.Conversation.MemoryTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.ConversationMemory, as: Memory

  setup context do
    name = Module.concat(__MODULE__, "M#{System.unique_integer([:positive])}")
    ttl = context[:ttl] || :timer.hours(1)
    start_supervised!({Memory.Supervisor, name: name, ttl: ttl, store: Memory.EtsStore})
    %{mem: [memory: name]}
  end

  defp user(text), do: %{role: :user, content: text}
  defp assistant(text), do: %{role: :assistant, content: text}

  defp tool_use(id),
    do: %{role: :assistant, content: [%{tool_use: %{tool_use_id: id, name: "x", input: %{}}}]}

  defp tool_result(id),
    do: %{
      role: :user,
      content: [%{tool_result: %{tool_use_id: id, content: [%{text: "ok"}], status: :success}}]
    }

  test "remember/3 and get_context/2 with last_n and since", %{mem: mem} do
    assert Memory.get_context("c1", mem) == %{history: [], summary: nil, metadata: %{}}
    assert Memory.whereis("c1", mem) == nil

    :ok = Memory.remember("c1", user("Hi"), mem)

    :ok =
      Memory.remember(
        "c1",
        %{"role" => "assistant", "content" => "Hello!", "metadata" => %{"seq" => 1}},
        mem
      )

    cut = DateTime.utc_now()
    Process.sleep(2)
    :ok = Memory.remember("c1", user("Where is my order?"), mem)

    %{history: history} = Memory.get_context("c1", mem)

    assert [
             %{role: :user, content: [%{text: "Hi"}]},
             %{role: :assistant, metadata: %{"seq" => 1}},
             _
           ] = history

    assert [%{content: [%{text: "Where is my order?"}]}] =
             Memory.get_context("c1", [last_n: 1] ++ mem).history

    assert [%{content: [%{text: "Where is my order?"}]}] =
             Memory.get_context("c1", [since: cut] ++ mem).history

    :ok = Memory.put_summary("c1", "Ana asks about order 42.", mem)
    :ok = Memory.put_metadata("c1", %{agent: :customer_service}, mem)

    assert %{summary: "Ana asks about order 42.", metadata: %{agent: :customer_service}} =
             Memory.get_context("c1", mem)

    assert {:error, %Aybiza.Error{reason: :invalid_request, message: m}} =
             Memory.remember("c1", %{role: :system, content: "x"}, mem)

    assert m =~ "messages[0]"

    assert_raise ArgumentError, ~r/:last_n/, fn ->
      Memory.get_context("c1", [last_n: -1] ++ mem)
    end
  end

  test "the sliding window keeps 50 messages and never starts with an orphan tool result", %{
    mem: mem
  } do
    msgs = for i <- 1..30, m <- [user("q#{i}"), assistant("a#{i}")], do: m
    :ok = Memory.remember_all("c2", msgs, mem)
    %{history: h} = Memory.get_context("c2", mem)
    assert length(h) == 50
    assert hd(h).content == [%{text: "q6"}]

    # A window cut between a tool use and its result drops the orphan result.
    msgs =
      for i <- 1..15,
          m <- [user("q#{i}"), tool_use("t#{i}"), tool_result("t#{i}"), assistant("a#{i}")],
          do: m

    :ok = Memory.remember_all("c3", msgs, mem)
    %{history: h} = Memory.get_context("c3", mem)
    # The last 50 start at t3's result: it and a3 go, the window starts at q4.
    assert length(h) == 48
    assert hd(h).content == [%{text: "q4"}]
  end

  test "build_messages_with_memory/3 returns valid Converse messages", %{mem: mem} do
    :ok =
      Memory.remember_all(
        "c4",
        [
          assistant("Welcome!"),
          user("Hi"),
          user("It's Ana"),
          tool_use("t1"),
          tool_result("t1"),
          assistant("Found you."),
          tool_use("t2")
        ],
        mem
      )

    messages = Memory.build_messages_with_memory("c4", "Is my order late?", mem)
    assert Enum.map(messages, & &1.role) == [:user, :assistant, :user, :assistant, :user]
    assert hd(messages).content == [%{text: "Hi"}, %{text: "It's Ana"}]
    # t2 never got a result: its tool use is dropped, the final prompt stays.
    refute inspect(messages) =~ "t2"
    assert List.last(messages).content == [%{text: "Is my order late?"}]

    # last_n cutting between t1's use and result never leaves half a pair.
    trimmed = Memory.build_messages_with_memory("c4", "again", [last_n: 3] ++ mem)
    refute inspect(trimmed) =~ "t1"
    assert hd(trimmed).role == :user

    :ok = Memory.put_summary("c4", "Ana, order 42", mem)
    [first | _] = Memory.build_messages_with_memory("c4", nil, [summary: true] ++ mem)
    assert [%{text: "Summary of the conversation so far: Ana, order 42"} | _] = first.content
  end

  test "normalize_messages/1 merges roles, drops leading assistant turns and orphans" do
    messages = [
      %{"role" => "assistant", "content" => "hi"},
      tool_result("x"),
      %{role: :user, content: "a"},
      %{role: :user, content: ""},
      assistant("b"),
      assistant("c")
    ]

    assert Memory.normalize_messages(messages) == [
             %{role: :user, content: [%{text: "a"}]},
             %{role: :assistant, content: [%{text: "b"}, %{text: "c"}]}
           ]
  end

  test "forget/2 drops the memory", %{mem: mem} do
    :ok = Memory.remember("c5", user("Hi"), mem)
    assert is_pid(Memory.whereis("c5", mem))
    :ok = Memory.forget("c5", mem)
    assert Memory.get_context("c5", mem).history == []
  end

  test "a crashed call process reloads its memory from the store", %{mem: mem} do
    :ok = Memory.remember("c6", user("Hi"), mem)
    pid = Memory.whereis("c6", mem)
    ref = Process.monitor(pid)
    Process.exit(pid, :kill)
    assert_receive {:DOWN, ^ref, _, _, _}
    assert [%{content: [%{text: "Hi"}]}] = Memory.get_context("c6", mem).history
  end

  test "the application starts the default memory" do
    call_id = "default-#{System.unique_integer([:positive])}"
    :ok = Memory.remember(call_id, user("Hi"))
    assert [%{role: :user}] = Memory.get_context(call_id).history
    :ok = Memory.forget(call_id)
  end

  @tag ttl: 30
  test "idle memory expires after the TTL", %{mem: mem} do
    :ok = Memory.remember("c7", user("Hi"), mem)
    ref = Process.monitor(Memory.whereis("c7", mem))
    assert_receive {:DOWN, ^ref, :process, _, :normal}, 2_000
    assert Memory.get_context("c7", mem).history == []
  end
end
