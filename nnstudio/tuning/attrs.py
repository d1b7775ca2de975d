"""The names of the user attributes nnstudio stores on each trial (one definition for all modules)."""

CONFIG_ATTR = "config"          # trial user attribute: the trial's full config as JSON
WORKER_ATTR = "worker"          # trial user attribute: "host:pid" of the process running it
DIVERGED_ATTR = "diverged"      # trial user attribute: True when training produced NaN/inf
INTERRUPTED_ATTR = "interrupted"  # trial user attribute: True when Stop aborted the trial
MESSAGE_ATTR = "message"        # trial user attribute: why it ended, in words
EPOCHS_ATTR = "epochs"          # trial user attribute: epochs actually trained
VAL_ACCURACY_ATTR = "val_accuracy"  # trial user attribute: their validation accuracy (classification)
FINDING_ATTR = "finding"        # trial user attribute: the training doctor's top warning or error (its code)
CHANCE_ATTR = "at_chance"       # trial user attribute: True when the trial scored at chance level
FOLD_VALUES_ATTR = "fold_values"          # trial user attribute: the metric of each finished fold
FOLD_LOSSES_ATTR = "fold_val_losses"      # trial user attribute: the validation loss of each fold
