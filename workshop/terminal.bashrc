# The lab's terminals read this file: `workshop lab` starts them as `bash --rcfile <it> -i`.
#
# Jupyter starts terminals as *login* shells whenever the lab's output is not a terminal (nohup,
# a JupyterHub spawner, a service), and /etc/profile then rebuilds PATH without the kit's
# environment: `alembic` is "command not found". An interactive, non-login shell keeps the lab's
# environment; this file reads the participant's own ~/.bashrc as bash would, then puts the kit's
# commands first again, in case that file changed PATH (conda init, pyenv, ...).
if [ -f "$HOME/.bashrc" ]; then
    . "$HOME/.bashrc"
fi
if [ -n "$WORKSHOP_BIN" ]; then
    case ":$PATH:" in
        ":$WORKSHOP_BIN:"*) ;;
        *) PATH="$WORKSHOP_BIN:$PATH" ;;
    esac
    export PATH
fi
