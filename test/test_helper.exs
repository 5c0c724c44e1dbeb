# Nothing is excluded: the short soak (tag :soak, `mix test --only soak`) runs in the default
# run too; the long one is bin/soak.
ExUnit.start()
