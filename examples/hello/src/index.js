console.log("hello from a zerops-cache build");
