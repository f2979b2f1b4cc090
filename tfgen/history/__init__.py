"""Reading the project as git holds it: a spec or tree at a revision, and which environments a change reaches."""
