defmodule Aybiza.Bedrock.Clock do
  @moduledoc """
  The time seam of the policy layer (circuit breakers, backoff, metrics windows).

  A clock is `:system` (monotonic milliseconds of the VM) or a manual clock made with
  `manual/1`, which only moves when `advance/2` or `set/2` is called. Tests pass a manual
  clock through the `:clock` option so breaker transitions never depend on real sleeps
  (the approach of jlouis/fuse's time seam).
  """

  @typedoc "A clock: the VM's monotonic time or a manual one backed by `:atomics`."
  @type t :: :system | {:manual, :atomics.atomics_ref()}

  @doc "The current time of `clock` in milliseconds (monotonic, arbitrary origin)."
  @spec now_ms(t()) :: integer()
  def now_ms(:system), do: System.monotonic_time(:millisecond)
  def now_ms({:manual, ref}), do: :atomics.get(ref, 1)

  @doc "A manual clock starting at `start_ms`."
  @spec manual(integer()) :: t()
  def manual(start_ms \\ 0) when is_integer(start_ms) do
    ref = :atomics.new(1, signed: true)
    :atomics.put(ref, 1, start_ms)
    {:manual, ref}
  end

  @doc "Moves a manual clock forward by `ms` and returns the new time."
  @spec advance(t(), non_neg_integer()) :: integer()
  def advance({:manual, ref}, ms) when is_integer(ms) and ms >= 0,
    do: :atomics.add_get(ref, 1, ms)

  def advance(:system, _ms),
    do: raise(ArgumentError, "the :system clock cannot be advanced; use Clock.manual/1")

  @doc "Sets a manual clock to `ms`."
  @spec set(t(), integer()) :: :ok
  def set({:manual, ref}, ms) when is_integer(ms), do: :atomics.put(ref, 1, ms)

  @doc "Validates a clock option value, raising `ArgumentError` that names `option`."
  @spec validate!(term(), atom()) :: t()
  def validate!(:system, _option), do: :system
  def validate!({:manual, ref} = clock, _option) when is_reference(ref), do: clock

  def validate!(other, option) do
    raise ArgumentError,
          "#{inspect(option)} must be :system or a clock from Aybiza.Bedrock.Clock.manual/1, got: #{Aybiza.Bedrock.Options.shown(other)}"
  end
end
